using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;
using Rotation.Infra.KeyVault.Simulator;

namespace Rotation.Infra.KeyVault.Tests;

/// <summary>A TokenCredential that hands out the simulator's token and remembers every scope and tenant asked for.</summary>
internal sealed class RecordingCredential(string token) : TokenCredential
{
    public ConcurrentQueue<TokenRequestContext> Requests { get; } = new();

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        Requests.Enqueue(requestContext);
        return new AccessToken(token, DateTimeOffset.UtcNow.AddHours(1));
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}

/// <summary>A started simulator (its own vault host name, so no challenge is cached from another test) and custodies over it.</summary>
internal sealed class KeyVaultFixture : IAsyncDisposable
{
    private readonly List<HttpClient> _clients = [];

    private KeyVaultFixture(SimulatedKeyVault vault)
    {
        Vault = vault;
        Credential = new RecordingCredential(vault.AcceptedToken);
    }

    public SimulatedKeyVault Vault { get; }

    public RecordingCredential Credential { get; }

    public static async Task<KeyVaultFixture> StartAsync(bool premium = false)
    {
        var vault = new SimulatedKeyVault("rot-" + Guid.NewGuid().ToString("N")[..12], premium: premium);
        await vault.StartAsync();
        return new KeyVaultFixture(vault);
    }

    /// <summary>A custody as a fresh process would build it. <paramref name="maxRetries"/> 0 lets a dropped connection surface as the crash it simulates.</summary>
    public KeyVaultKeyCustody Custody(int maxRetries = 3, bool hsm = false)
    {
        var http = new HttpClient(Vault.CreateHandler());
        _clients.Add(http);
        var transport = new HttpClientTransport(http);
        return new KeyVaultKeyCustody(
            new KeyVaultCustodyOptions
            {
                VaultUri = Vault.VaultUri,
                Hsm = hsm,
                PollInterval = TimeSpan.FromMilliseconds(20),
                ConfigureClient = options =>
                {
                    options.Transport = transport;
                    options.Retry.MaxRetries = maxRetries;
                    options.Retry.Delay = TimeSpan.FromMilliseconds(20);
                    options.Retry.MaxDelay = TimeSpan.FromMilliseconds(200);
                },
            },
            Credential);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await Vault.DisposeAsync();
    }
}
