using System.Security.Cryptography;
using Rotation.Core.Domain;
using Rotation.Drill.Estate;
using Rotation.Core.Ports;
using Rotation.Infra.Kubernetes;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Simulator;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Targets;

namespace Rotation.Drill.Kubernetes;

/// <summary>How the drill's simulated Istio is installed.</summary>
public sealed record SimulatedIstioMesh
{
    /// <summary>istiod's release (image tag): it picks the cacerts reload rule (see IstiodRelease).</summary>
    public string IstiodVersion { get; init; } = "1.26.2";

    /// <summary>meshConfig.defaultConfig.proxyMetadata.PROXY_CONFIG_XDS_AGENT: whether proxies take PCDS pushes.</summary>
    public bool ProxyConfigXdsAgent { get; init; } = true;

    /// <summary>
    /// When set, every cluster runs the AKS Istio add-on: istiod in aks-istio-system reading its plug-in CA from the
    /// Key Vault test server through the simulated CSI driver, registered with an aks-istio target.
    /// </summary>
    public AksAddOnMesh? AksAddOn { get; init; }

    /// <summary>For comparison drills only: wraps the targets the engine sees (e.g. the pre-issue-11 ConfigMap-only gate).</summary>
    public Func<ITargetResolver, ITargetResolver>? WrapTargets { get; init; }
}

/// <summary>
/// K simulated Kubernetes clusters running istiod with a plug-in CA (ISTIO_MULTIROOT_MESH=true, cacerts from the
/// domain's initial issuer), each with a kubeconfig file, ready to be registered as ordinary kubeconfig clusters with
/// an istio target, so the rotation reaches them only through the Kubernetes adapter and the API.
/// </summary>
public sealed class SimulatedIstioFleet : IAsyncDisposable
{
    public const string ContextName = "drill-sim";

    private SimulatedIstioFleet(IReadOnlyList<(string Name, SimulatedKubeCluster Kube)> clusters, IReadOnlyDictionary<string, string> kubeconfigs, KubernetesAdapterOptions adapterOptions, SimulatedAksAddOn? addOn)
    {
        AddOn = addOn;
        Clusters = clusters;
        KubeconfigPaths = kubeconfigs;
        AdapterOptions = adapterOptions;
    }

    public IReadOnlyList<(string Name, SimulatedKubeCluster Kube)> Clusters { get; }

    /// <summary>The Key Vault test server and CSI drivers when the clusters run the AKS Istio add-on.</summary>
    public SimulatedAksAddOn? AddOn { get; }

    /// <summary>Cluster name → its kubeconfig file.</summary>
    public IReadOnlyDictionary<string, string> KubeconfigPaths { get; }

    /// <summary>The most clusters a Kubernetes drill starts: each one is a simulated API server.</summary>
    public const int MaxClusters = 99;

    /// <summary>Refuses a fleet size out of range, before anything is started.</summary>
    public static void ValidateCount(int count)
    {
        if (count is < 1 or > MaxClusters)
            throw new DomainException($"--clusters must be between 1 and {MaxClusters} with --kubernetes (got {count}): each one is a simulated API server; drop --kubernetes for up to {SimulatedEstateOptions.MaxClusters} in-process clusters");
    }

    /// <summary>Adapter options that suit loopback API servers and second-long leaves (fast retries and rollout polls).</summary>
    public KubernetesAdapterOptions AdapterOptions { get; }

    /// <param name="kubeconfigDirectory">Where the kubeconfig files go (the drill's throwaway home).</param>
    /// <param name="propagationDelay">istiod's lag between a cacerts change and the root it publishes / the CA it loads.</param>
    public static Task<SimulatedIstioFleet> StartAsync(
        int count,
        string kubeconfigDirectory,
        IssuerMaterial initialIssuer,
        TimeSpan propagationDelay,
        TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default) =>
        StartAsync(count, kubeconfigDirectory, initialIssuer, propagationDelay, new SimulatedIstioMesh(), timeProvider, cancellationToken);

    public static async Task<SimulatedIstioFleet> StartAsync(
        int count,
        string kubeconfigDirectory,
        IssuerMaterial initialIssuer,
        TimeSpan propagationDelay,
        SimulatedIstioMesh mesh,
        TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default)
    {
        ValidateCount(count);
        var time = timeProvider ?? TimeProvider.System;
        Directory.CreateDirectory(kubeconfigDirectory);
        var clusters = new List<(string Name, SimulatedKubeCluster Kube)>();
        var kubeconfigs = new Dictionary<string, string>(StringComparer.Ordinal);
        var chainAbove = initialIssuer.ChainToRoot.Where(c => !c.Equals(initialIssuer.Issuer.Certificate)).ToList();
        var addOn = mesh.AksAddOn is { } aks ? await SimulatedAksAddOn.StartAsync(aks, time, cancellationToken) : null;
        try
        {
            for (var i = 1; i <= count; i++)
            {
                var name = $"cluster-{i:D2}";
                var kube = new SimulatedKubeCluster(new SimulatedKubeClusterOptions
                {
                    PropagationDelay = propagationDelay,
                    TimeProvider = time,
                    // The client refuses a kubeconfig user without credentials; this token lives only as long as the fleet.
                    BearerToken = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
                    IstioLayout = addOn?.Layout,
                });
                clusters.Add((name, kube));
                if (addOn is null)
                    kube.Store.PutIstioCaCerts(initialIssuer.Issuer, chainAbove, initialIssuer.Bundle);
                else
                    await addOn.MountAsync(name, kube.Store, initialIssuer, cancellationToken);
                kube.Store.SeedIstiod(multiRootMesh: true, version: mesh.IstiodVersion, proxyConfigXdsAgent: mesh.ProxyConfigXdsAgent, layout: addOn?.Layout);
                await kube.StartAsync(cancellationToken);
                addOn?.StartPolling(name);
                kubeconfigs[name] = await WriteKubeconfigAsync(kube, kubeconfigDirectory, name, cancellationToken);
            }
        }
        catch
        {
            if (addOn is not null)
                await addOn.StopPollingAsync();
            await DisposeAllAsync(clusters);
            if (addOn is not null)
                await addOn.DisposeAsync();
            throw;
        }

        var adapterOptions = LoopbackAdapterOptions();
        return new SimulatedIstioFleet(clusters, kubeconfigs, adapterOptions, addOn);
    }

    /// <summary>Adapter options that suit loopback API servers and second-long leaves (fast retries and rollout polls).</summary>
    internal static KubernetesAdapterOptions LoopbackAdapterOptions() => new()
    {
        Retry = new KubernetesRetryOptions
        {
            InitialBackoff = TimeSpan.FromMilliseconds(50),
            MaxBackoff = TimeSpan.FromMilliseconds(500),
            AttemptTimeout = TimeSpan.FromSeconds(10),
            MaxRetryAfter = TimeSpan.FromSeconds(2),
        },
        RolloutPollInterval = TimeSpan.FromMilliseconds(100),
        RolloutTimeout = TimeSpan.FromSeconds(20),
        // The simulated kubelet updates mounted ConfigMaps at once (LinkerdController.TrustRootsVolumeLag is zero).
        MountedConfigMapSyncWait = TimeSpan.Zero,
    };

    /// <summary>Writes a cluster's kubeconfig (mode 0600) for the drill's registration.</summary>
    internal static async Task<string> WriteKubeconfigAsync(SimulatedKubeCluster kube, string directory, string name, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, $"{name}.kubeconfig");
        await File.WriteAllTextAsync(path, kube.Server.CreateKubeconfigYaml(ContextName), cancellationToken);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    /// <summary>Registers every cluster to <paramref name="domain"/> as `rotation cluster add NAME --kubeconfig FILE --target istio` (or `--target aks-istio:…`) would.</summary>
    public async Task RegisterAsync(IStateStore store, string domain, TimeProvider time, CancellationToken cancellationToken = default)
    {
        var registry = ClusterRegistry.Create(store, time, AdapterOptions);
        foreach (var (name, _) in Clusters)
        {
            await registry.AddAsync(
                new ClusterAddRequest(name, domain, ClusterConnectionKind.Kubeconfig, KubeconfigPaths[name], ContextName, null, [AddOn?.Spec(name) ?? TargetSpecParser.Parse("istio")]),
                cancellationToken);
        }
    }

    /// <summary>The resolver a rotation of the registered clusters goes through (the CLI's own, with loopback-friendly options).</summary>
    public KubernetesTargetResolver CreateResolver(IStateStore store, TimeProvider time) =>
        new(store, new ClusterConnectionFactory(AdapterOptions, time, AddOn?.Credential, configureKeyVault: AddOn is null ? null : AddOn.Configure));

    public async ValueTask DisposeAsync()
    {
        if (AddOn is not null)
            await AddOn.StopPollingAsync();
        await DisposeAllAsync(Clusters);
        if (AddOn is not null)
            await AddOn.DisposeAsync();
    }

    /// <summary>Stops every API server at once: a drill cancelled by a signal has 5 s to unwind 99 of them.</summary>
    private static Task DisposeAllAsync(IEnumerable<(string Name, SimulatedKubeCluster Kube)> clusters) =>
        Task.WhenAll(clusters.Select(c => c.Kube.DisposeAsync().AsTask()));
}
