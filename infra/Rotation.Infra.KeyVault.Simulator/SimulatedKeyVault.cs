using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Rotation.Core.Pki;

namespace Rotation.Infra.KeyVault.Simulator;

/// <summary>
/// An Azure Key Vault data plane on loopback HTTPS that the real Azure SDK clients talk to unchanged: bearer-challenge
/// authentication, certificate create / import / pending / merge / get / versions / update, secret set / get / versions, key get and keys/sign,
/// with real keys and real signatures. Shapes follow the data-plane REST specification (Azure/azure-rest-api-specs
/// specification/keyvault/data-plane, api-version 7.5) and recorded exchanges of the real service
/// (Azure/azure-sdk-for-js@0448bd9d sdk/keyvault/keyvault-certificates/recordings/…/recording_can_create_a_certificate.json:
/// the 401 challenge and the pending-operation body). See docs/custody.md for what is and is not modelled.
///
/// The vault is addressed by a real-looking host name (https://NAME.vault.azure.net/) so the SDK's challenge resource
/// verification runs as in production; <see cref="CreateHandler"/> dials that name to the loopback port and trusts the
/// simulator's TLS certificate (issued by a throw-away Rotation root) for that client only.
/// </summary>
public sealed class SimulatedKeyVault : IAsyncDisposable
{
    public const string Resource = "https://vault.azure.net";
    public const string Scope = Resource + "/.default";

    private readonly KeyVaultApi _api;
    private readonly CertificateWithKey _tlsRoot;
    private readonly CertificateWithKey _tls;
    private WebApplication? _app;
    private int _port;

    public SimulatedKeyVault(string vaultName = "rotation-test", string tenantId = "00000000-0000-0000-0000-00000000feed", bool premium = false, TimeProvider? time = null)
    {
        VaultName = vaultName;
        TenantId = tenantId;
        Host = $"{vaultName}.vault.azure.net";
        VaultUri = new Uri($"https://{Host}/");
        var clock = time ?? TimeProvider.System;
        var now = clock.GetUtcNow();
        var rootKey = PrivateKey.Generate(KeyAlgorithm.EcdsaP256);
        var root = CertificateFactory.CreateRoot(new RootCaRequest("CN=Key Vault simulator TLS root", now.AddMinutes(-5), now.AddDays(7), 0), rootKey);
        _tlsRoot = new CertificateWithKey(root, rootKey);
        var tlsKey = PrivateKey.Generate(KeyAlgorithm.EcdsaP256);
        _tls = new CertificateWithKey(
            CertificateFactory.IssueLeaf(new LeafRequest($"CN={Host}", now.AddMinutes(-5), now.AddDays(6), [Host], []), tlsKey, _tlsRoot),
            tlsKey);
        _api = new KeyVaultApi(this, clock, premium);
    }

    public string VaultName { get; }
    public string TenantId { get; }
    public string Host { get; }

    /// <summary>https://NAME.vault.azure.net/ — reach it through <see cref="CreateHandler"/>.</summary>
    public Uri VaultUri { get; }

    /// <summary>The bearer token the simulator accepts; a test TokenCredential hands it out.</summary>
    public string AcceptedToken { get; } = "kv-sim-" + Guid.NewGuid().ToString("N");

    public KeyVaultFaults Faults { get; } = new();

    /// <summary>Every exchange, in order, with request and response bodies.</summary>
    public IReadOnlyList<KeyVaultExchange> Exchanges => _api.Exchanges;

    /// <summary>keys/sign calls that succeeded, per "name/version".</summary>
    public IReadOnlyDictionary<string, int> Signatures => _api.Signatures;

    /// <summary>The certificate versions under <paramref name="name"/>, oldest first (a snapshot).</summary>
    public IReadOnlyList<SimulatedCertificateVersion> Versions(string name) => _api.Versions(name);

    /// <summary>The versions of the plain secret <paramref name="name"/> (set with PUT secrets/{name}), oldest first (a snapshot).</summary>
    public IReadOnlyList<SimulatedSecretVersion> SecretVersions(string name) => _api.SecretVersions(name);

    /// <summary>True while a certificate operation under <paramref name="name"/> is in progress.</summary>
    public bool HasPendingOperation(string name) => _api.HasPendingOperation(name);

    /// <summary>DER SubjectPublicKeyInfo + PKCS#8 of every key the simulator holds, to prove none ever left it.</summary>
    public IReadOnlyList<(string Name, string Version, bool Exportable, byte[] Pkcs8)> KeyMaterial() => _api.KeyMaterial();

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_app is not null)
        {
            return;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var serverCertificate = _tls.ToX509Certificate2WithKey();
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, _port, listen => listen.UseHttps(serverCertificate)));
        var app = builder.Build();
        app.Run(_api.ServeAsync);
        await app.StartAsync(cancellationToken);
        _port = new Uri(app.Urls.First()).Port;
        _app = app;
    }

    public int Port => _port == 0 ? throw new InvalidOperationException("the Key Vault simulator has not been started: call StartAsync first") : _port;

    /// <summary>
    /// An HTTP handler for the SDK's transport (new HttpClientTransport(new HttpClient(handler))): it connects every
    /// request for <see cref="Host"/> to the loopback port and trusts only the simulator's TLS root.
    /// </summary>
    public SocketsHttpHandler CreateHandler()
    {
        var port = Port;
        var trustedRoot = _tlsRoot.Certificate.ToX509Certificate2();
        return new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                if (!string.Equals(context.DnsEndPoint.Host, Host, StringComparison.OrdinalIgnoreCase))
                {
                    throw new HttpRequestException($"the Key Vault simulator only serves {Host}, not {context.DnsEndPoint.Host}");
                }

                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) => Trusts(certificate, trustedRoot),
            },
        };
    }

    private bool Trusts(X509Certificate? presented, X509Certificate2 trustedRoot)
    {
        if (presented is null)
        {
            return false;
        }

        using var leaf = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(trustedRoot);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf) && leaf.MatchesHostname(Host);
    }

    internal string Base => VaultUri.ToString().TrimEnd('/');

    internal static string UnixSeconds(DateTimeOffset value) => value.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
    }
}
