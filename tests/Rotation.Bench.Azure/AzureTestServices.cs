using Azure.Core;
using Azure.Core.Pipeline;
using Rotation.Cli;
using Rotation.Infra.KeyVault.Simulator;
using Rotation.Testing;
using Rotation.Testing.Events;

namespace Rotation.Bench.Azure;

/// <summary>
/// The loopback stand-ins for Azure the tests use: the Key Vault test server, Azurite's Table service and the Event
/// Grid test server, reached by the real SDK clients over TLS only this process trusts, with one credential.
/// </summary>
internal sealed class AzureTestServices : IAsyncDisposable
{
    private readonly List<HttpClient> _clients = [];

    private AzureTestServices(SimulatedKeyVault vault, AzuriteTables azurite, EventGridTestServer topic, LoopbackTls tls)
    {
        Vault = vault;
        Azurite = azurite;
        Topic = topic;
        Tls = tls;
        Credential = new StaticTokenCredential(vault.AcceptedToken);
        KeyVaultClient = Transport(new HttpClient(vault.CreateHandler()));
        EventGridClient = Transport(new HttpClient(tls.TrustingHandler()));
    }

    public SimulatedKeyVault Vault { get; }
    public AzuriteTables Azurite { get; }
    public EventGridTestServer Topic { get; }
    public LoopbackTls Tls { get; }
    public TokenCredential Credential { get; }
    public Action<ClientOptions> KeyVaultClient { get; }
    public Action<ClientOptions> EventGridClient { get; }

    /// <summary>--vault, --store and --events pointing a CLI command at the three servers.</summary>
    public string[] AdapterFlags =>
    [
        "--vault", "keyvault:" + Vault.VaultUri.ToString().TrimEnd('/'),
        "--store", "tables:" + Azurite.ConnectionString,
        "--events", "eventgrid:" + Topic.TopicEndpoint,
    ];

    public static async Task<AzureTestServices> StartAsync()
    {
        var tls = new LoopbackTls();
        var vault = new SimulatedKeyVault("bench-" + Guid.NewGuid().ToString("N")[..12]);
        await vault.StartAsync();
        var azurite = AzuriteTables.Start();
        // The topic takes only the bearer token the one credential hands out, as a topic with local auth off.
        var topic = await EventGridTestServer.StartAsync(tls, bearerToken: vault.AcceptedToken);
        return new AzureTestServices(vault, azurite, topic, tls);
    }

    /// <summary>A CLI context on the real clock whose Azure clients reach the servers; output captured, environment empty.</summary>
    public CliContext Context(TextWriter output, TextWriter error) =>
        new(output, error, _ => null, TimeProvider.System)
        {
            AzureCredential = Credential,
            ConfigureKeyVaultClient = KeyVaultClient,
            ConfigureEventGridClient = EventGridClient,
        };

    private Action<ClientOptions> Transport(HttpClient http)
    {
        _clients.Add(http);
        var transport = new HttpClientTransport(http);
        return options =>
        {
            options.Transport = transport;
            options.Retry.Delay = TimeSpan.FromMilliseconds(20);
        };
    }

    public async ValueTask DisposeAsync()
    {
        await Topic.DisposeAsync();
        await Vault.DisposeAsync();
        await Azurite.DisposeAsync();
        _clients.ForEach(c => c.Dispose());
    }

    private sealed class StaticTokenCredential(string token) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(token, DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
