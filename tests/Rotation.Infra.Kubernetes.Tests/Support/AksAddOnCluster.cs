using System.Text.Json.Nodes;
using Azure;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Infra.KeyVault.Simulator;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Simulator.Controllers;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Infra.Kubernetes.Targets;
using Rotation.Testing;

namespace Rotation.Infra.Kubernetes.Tests.Support;

/// <summary>
/// An AKS cluster with the Istio add-on on a plug-in CA, from the real parts: the Key Vault test server holding the
/// four secrets, the simulated API server reached through ARM with an Entra token, the add-on's istiod
/// (aks-istio-system/istiod-asm-1-26, multi-root, PCDS on in the mesh config and as the injector renders it into each sidecar) reading /etc/cacerts from the simulated Secrets Store CSI
/// driver, and one meshed workload in payments. The CSI driver polls only when a test calls <see cref="PollAsync"/>,
/// so a test decides when the cluster sees a Key Vault write.
/// </summary>
public sealed class AksAddOnCluster : IAsyncDisposable
{
    public const string Revision = "asm-1-26";
    public const string ClusterName = "aks-west";
    public const string ResourceId = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-west";
    public static readonly IstioLayout Layout = IstioLayout.AksAddOn(Revision);
    private readonly List<HttpClient> _http = [];

    private AksAddOnCluster(SimulatedKeyVault vault, LoopbackArm arm, ScopedCredential credential)
    {
        Vault = vault;
        Arm = arm;
        Credential = credential;
    }

    public SimulatedKeyVault Vault { get; }
    public LoopbackArm Arm { get; }

    /// <summary>Rotation's one credential: ARM, the AKS API server and Key Vault.</summary>
    public ScopedCredential Credential { get; }
    public SimCluster Cluster { get; private set; } = null!;
    public CsiSecretsStoreDriver Csi { get; private set; } = null!;

    /// <summary>An operator's (or the add-on identity's) own client, not Rotation's.</summary>
    public SecretClient Operator { get; private set; } = null!;

    public IstioController Istiod => Cluster.Mesh!.Istio;
    public KubeObjectStore Store => Cluster.Store;

    /// <summary>The target as registered: aks-istio on the test vault at the add-on's revision.</summary>
    public TargetSpec Spec => TargetSpecParser.Parse($"aks-istio:keyVault={Vault.VaultUri},revision={Revision}");

    public ClusterRegistration Registration(string domain) =>
        new(ClusterName, domain, ClusterConnectionKind.Aks, null, null, ResourceId, [Spec], DateTimeOffset.UnixEpoch);

    public static async Task<AksAddOnCluster> StartAsync(TestHierarchy current, TimeProvider clock)
    {
        var vault = new SimulatedKeyVault("aks-mesh-" + Guid.NewGuid().ToString("N")[..10], time: clock);
        await vault.StartAsync();
        SimCluster? cluster = null;
        var arm = await LoopbackArm.StartAsync(() => cluster!.Server.CreateKubeconfigYaml(ClusterName));
        var credential = new ScopedCredential(new Dictionary<string, string>
        {
            ["https://management.azure.com/.default"] = "arm-token",
            ["6dae42f8-4368-4678-94ff-3960e28e3630/.default"] = "sim-token",
            [SimulatedKeyVault.Scope] = vault.AcceptedToken,
        });
        var addOn = new AksAddOnCluster(vault, arm, credential);
        var factory = new ClusterConnectionFactory(SimCluster.FastOptions(), clock, credential, new AksOptions { ArmEndpoint = arm.Endpoint }, addOn.Configure);
        cluster = await SimCluster.StartAsync(ClusterName, controllers: true, clock: clock, istioLayout: Layout, factory: factory);
        addOn.Cluster = cluster;
        addOn.Operator = new SecretClient(vault.VaultUri, new ScopedCredential(new Dictionary<string, string> { [SimulatedKeyVault.Scope] = vault.AcceptedToken }), addOn.ClientOptions());
        await addOn.SeedAsync(current);
        return addOn;
    }

    public ClusterConnectionFactory Factory => Cluster.Factory;

    /// <summary>One rotation poll of the CSI driver; true when it changed istiod's /etc/cacerts.</summary>
    public Task<bool> PollAsync() => Csi.PollAsync();

    /// <summary>The current value of a Key Vault secret (null when absent).</summary>
    public async Task<string?> ReadAsync(string name)
    {
        try
        {
            return (await Operator.GetSecretAsync(name)).Value.Value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>The root fingerprints of every version of the Key Vault secret root-cert, oldest first.</summary>
    public IReadOnlyList<IReadOnlyList<string>> RootCertHistory() =>
        Vault.SecretVersions("root-cert").Select(v => (IReadOnlyList<string>)Pem.ReadCertificates(v.Value).Select(c => c.Sha256).Distinct().ToList()).ToList();

    /// <summary>True when the synced cacerts holds what the four Key Vault secrets hold (the CSI driver has polled since the last write).</summary>
    public bool Synced()
    {
        var cacerts = Store.TryGet(ResourceKinds.Secrets, Layout.Namespace, Layout.CaSecret);
        return cacerts is not null && new AddOnCaObjects().Files.All(f =>
            Vault.SecretVersions(f.ObjectName) is { Count: > 0 } versions && KubeObjects.SecretText(cacerts, f.File) == versions[^1].Value);
    }

    private SecretClientOptions ClientOptions()
    {
        var options = new SecretClientOptions();
        Configure(options);
        return options;
    }

    private void Configure(SecretClientOptions options)
    {
        var http = new HttpClient(Vault.CreateHandler());
        lock (_http)
            _http.Add(http);
        options.Transport = new HttpClientTransport(http);
        options.Retry.MaxRetries = 2;
        options.Retry.Delay = TimeSpan.FromMilliseconds(20);
    }

    private async Task SeedAsync(TestHierarchy current)
    {
        // As the add-on docs set it up: az keyvault secret set for the four files, then az aks mesh enable.
        await Operator.SetSecretAsync("root-cert", current.Root.Certificate.ToPem());
        await Operator.SetSecretAsync("ca-cert", current.Intermediate.Certificate.ToPem());
        await Operator.SetSecretAsync("ca-key", current.Intermediate.Key.ToPkcs8Pem());
        await Operator.SetSecretAsync("cert-chain", Pem.WriteCertificates([current.Intermediate.Certificate, current.Root.Certificate]));
        Csi = new CsiSecretsStoreDriver(Store, Layout, new AddOnCaObjects(), FetchAsync);
        // istiod's pod mounts the CSI volume before it starts (NodePublishVolume fetches every object).
        if (!await Csi.PollAsync())
            throw new InvalidOperationException($"the CSI driver could not mount the plug-in CA: {Csi.LastError}");
        Store.SeedIstiod(multiRootMesh: true, version: "1.26.2-distroless", proxyConfigXdsAgent: true, layout: Layout);
        Store.EnsureNamespace("payments");
        var workload = Seed.Deployment("payments", "api", [], replicas: 2);
        var template = workload["spec"]!["template"]!;
        template["metadata"]!["labels"]!["security.istio.io/tlsMode"] = "istio";
        ((JsonArray)template["spec"]!["containers"]!).Add(new JsonObject { ["name"] = "istio-proxy", ["image"] = "mcr.microsoft.com/oss/istio/proxyv2:1.26.2-distroless", ["env"] = new JsonArray(new JsonObject { ["name"] = "PROXY_CONFIG_XDS_AGENT", ["value"] = "true" }) });
        Store.Put(ResourceKinds.Deployments, workload);
        var root = current.Root.Certificate.ToPem();
        await Eventually.UntilAsync(() => Istiod.HeldRootCertPem == root
            && Store.TryGet(ResourceKinds.ConfigMaps, "payments", "istio-ca-root-cert") is not null
            && Istiod.ProxyRootCas.Count == 2, TimeSpan.FromSeconds(15));
        if (!current.Intermediate.Certificate.Equals(Istiod.LoadedCa?.Ca.Certificate))
            throw new InvalidOperationException($"the add-on's istiod did not load the plug-in CA: {Istiod.LastDecision} {Istiod.CaLoadError}");
    }

    private async Task<string?> FetchAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return (await Operator.GetSecretAsync(name, cancellationToken: cancellationToken)).Value.Value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Csi.DisposeAsync();
        await Cluster.DisposeAsync();
        await Arm.DisposeAsync();
        await Vault.DisposeAsync();
        lock (_http)
        {
            foreach (var http in _http)
                http.Dispose();
        }
    }
}
