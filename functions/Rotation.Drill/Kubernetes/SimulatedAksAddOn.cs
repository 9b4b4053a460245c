using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Infra.KeyVault.Simulator;
using Rotation.Infra.Kubernetes.Simulator.Controllers;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Infra.Kubernetes.Targets;

namespace Rotation.Drill.Kubernetes;

/// <summary>How the drill's clusters run the AKS Istio add-on instead of upstream Istio.</summary>
/// <param name="CsiPollInterval">The simulated CSI driver's rotation poll (the add-on's default is 2 minutes; drills poll faster).</param>
public sealed record AksAddOnMesh(string Revision = "asm-1-26", TimeSpan? CsiPollInterval = null)
{
    public TimeSpan PollInterval => CsiPollInterval ?? TimeSpan.FromMilliseconds(300);
}

/// <summary>
/// The Azure side of the drill's add-on clusters: one Key Vault test server holding each cluster's four plug-in CA
/// secrets (named CLUSTER-root-cert, …), and per cluster the Secrets Store CSI driver that mounts them into istiod.
/// Rotation reaches the vault with its own credential and client, through the aks-istio target.
/// </summary>
public sealed class SimulatedAksAddOn : IAsyncDisposable
{
    private readonly AksAddOnMesh _mesh;
    private readonly TimeProvider _time;
    private readonly List<HttpClient> _http = [];
    private readonly Dictionary<string, CsiSecretsStoreDriver> _drivers = new(StringComparer.Ordinal);
    private readonly SecretClient _addOnIdentity;

    private SimulatedAksAddOn(SimulatedKeyVault vault, AksAddOnMesh mesh, TimeProvider time)
    {
        Vault = vault;
        _mesh = mesh;
        _time = time;
        Layout = IstioLayout.AksAddOn(mesh.Revision);
        Credential = new VaultToken(vault.AcceptedToken);
        _addOnIdentity = new SecretClient(vault.VaultUri, Credential, ClientOptions());
    }

    public SimulatedKeyVault Vault { get; }
    public IstioLayout Layout { get; }

    /// <summary>Rotation's credential for the vault (the test server accepts one token).</summary>
    public TokenCredential Credential { get; }

    public IReadOnlyDictionary<string, CsiSecretsStoreDriver> Drivers => _drivers;

    public static async Task<SimulatedAksAddOn> StartAsync(AksAddOnMesh mesh, TimeProvider time, CancellationToken cancellationToken)
    {
        var vault = new SimulatedKeyVault("drill-mesh-" + Guid.NewGuid().ToString("N")[..10], time: time);
        await vault.StartAsync(cancellationToken);
        return new SimulatedAksAddOn(vault, mesh, time);
    }

    public AddOnCaObjects ObjectsOf(string cluster) => new($"{cluster}-root-cert", $"{cluster}-ca-cert", $"{cluster}-ca-key", $"{cluster}-cert-chain");

    /// <summary>`az keyvault secret set` of the cluster's four secrets, then the istiod pod's CSI mount (the first fetch).</summary>
    public async Task MountAsync(string cluster, KubeObjectStore store, IssuerMaterial initial, CancellationToken cancellationToken)
    {
        var objects = ObjectsOf(cluster);
        var chain = initial.ChainToRoot.ToList();
        if (chain.Count == 0 || !chain[0].Equals(initial.Issuer.Certificate))
            chain.Insert(0, initial.Issuer.Certificate);
        await _addOnIdentity.SetSecretAsync(objects.RootCert, initial.Bundle.ToPem(), cancellationToken);
        await _addOnIdentity.SetSecretAsync(objects.CaCert, initial.Issuer.Certificate.ToPem(), cancellationToken);
        await _addOnIdentity.SetSecretAsync(objects.CaKey, initial.Issuer.Key.ToPkcs8Pem(), cancellationToken);
        await _addOnIdentity.SetSecretAsync(objects.CertChain, Pem.WriteCertificates(chain), cancellationToken);
        var driver = new CsiSecretsStoreDriver(store, Layout, objects, FetchAsync, _time) { RotationPollInterval = _mesh.PollInterval };
        _drivers[cluster] = driver;
        if (!await driver.PollAsync(cancellationToken))
            throw new InvalidOperationException($"cluster '{cluster}': the CSI driver could not mount the plug-in CA: {driver.LastError}");
    }

    /// <summary>Starts the cluster's CSI rotation polling (once istiod runs).</summary>
    public void StartPolling(string cluster) => _drivers[cluster].Start();

    /// <summary>The cluster's target as `rotation cluster add … --target aks-istio:…` registers it.</summary>
    public TargetSpec Spec(string cluster)
    {
        var o = ObjectsOf(cluster);
        return TargetSpecParser.Parse($"aks-istio:keyVault={Vault.VaultUri},revision={_mesh.Revision},rootCertObjectName={o.RootCert},certObjectName={o.CaCert},keyObjectName={o.CaKey},certChainObjectName={o.CertChain},csiPollInterval={Math.Max(1, (int)Math.Ceiling(_mesh.PollInterval.TotalSeconds))}s");
    }

    /// <summary>Points Rotation's Key Vault clients at the test server.</summary>
    public void Configure(SecretClientOptions options)
    {
        var http = new HttpClient(Vault.CreateHandler());
        lock (_http)
            _http.Add(http);
        options.Transport = new HttpClientTransport(http);
        options.Retry.MaxRetries = 3;
        options.Retry.Delay = TimeSpan.FromMilliseconds(50);
    }

    private SecretClientOptions ClientOptions()
    {
        var options = new SecretClientOptions();
        Configure(options);
        return options;
    }

    private async Task<string?> FetchAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return (await _addOnIdentity.GetSecretAsync(name, cancellationToken: cancellationToken)).Value.Value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Stops the CSI drivers (before the clusters go away).</summary>
    public async Task StopPollingAsync()
    {
        foreach (var driver in _drivers.Values)
            await driver.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopPollingAsync();
        await Vault.DisposeAsync();
        lock (_http)
        {
            foreach (var http in _http)
                http.Dispose();
        }
    }

    private sealed class VaultToken(string token) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(token, DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
