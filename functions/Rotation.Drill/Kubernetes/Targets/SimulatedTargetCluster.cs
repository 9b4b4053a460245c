using System.Security.Cryptography;
using Rotation.Core.Domain;
using Rotation.Core.Ports;
using Rotation.Drill.Drills;
using Rotation.Drill.Estate;
using Rotation.Infra.Kubernetes;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Simulator;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Infra.Kubernetes.Targets;

namespace Rotation.Drill.Kubernetes.Targets;

/// <summary>
/// One simulated Kubernetes cluster for a drill of any target: the domain is initialised in the store and custody, the
/// cluster is seeded from its first issuer (by the caller, as the target's upstream installs it), started, written as
/// a kubeconfig and registered as `rotation cluster add NAME --kubeconfig FILE --target SPEC…` would, so the engine
/// reaches it only through the Kubernetes adapter. Put a <see cref="TargetWorkloadEstate"/> on it and call
/// <see cref="RotateAsync"/>.
/// </summary>
public sealed class SimulatedTargetCluster : IAsyncDisposable
{
    public const string Name = "sim";

    private SimulatedTargetCluster(SimulatedKubeCluster kube, IssuerMaterial initial, KubernetesTargetResolver resolver)
    {
        Kube = kube;
        Initial = initial;
        Resolver = resolver;
    }

    public SimulatedKubeCluster Kube { get; }

    /// <summary>The domain's first issuer (intermediate A under root A), which the seed put into the cluster.</summary>
    public IssuerMaterial Initial { get; }

    public KubernetesTargetResolver Resolver { get; }

    public static async Task<SimulatedTargetCluster> StartAsync(
        IStateStore store,
        IKeyCustody custody,
        string domain,
        string workDirectory,
        TimeSpan propagationDelay,
        Action<KubeObjectStore, IssuerMaterial> seed,
        IReadOnlyList<string> targetSpecs,
        TimeProvider time,
        Action<SimulatedKubeCluster>? configure = null,
        CancellationToken cancellationToken = default)
    {
        var initial = await EngineDrill.InitDomainAsync(store, custody, domain, time, cancellationToken);
        var kube = new SimulatedKubeCluster(new SimulatedKubeClusterOptions
        {
            PropagationDelay = propagationDelay,
            TimeProvider = time,
            BearerToken = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
        });
        try
        {
            seed(kube.Store, initial);
            configure?.Invoke(kube);
            await kube.StartAsync(cancellationToken);
            Directory.CreateDirectory(workDirectory);
            var path = await SimulatedIstioFleet.WriteKubeconfigAsync(kube, workDirectory, Name, cancellationToken);
            var adapter = SimulatedIstioFleet.LoopbackAdapterOptions();
            await ClusterRegistry.Create(store, time, adapter).AddAsync(
                new ClusterAddRequest(Name, domain, ClusterConnectionKind.Kubeconfig, path, SimulatedIstioFleet.ContextName, null, targetSpecs.Select(TargetSpecParser.Parse).ToList()),
                cancellationToken);
            return new SimulatedTargetCluster(kube, initial, new KubernetesTargetResolver(store, new ClusterConnectionFactory(adapter, time)));
        }
        catch
        {
            await kube.DisposeAsync();
            throw;
        }
    }

    /// <summary>Rotates with the real engine through <see cref="Resolver"/> (or <paramref name="wrapTargets"/> around it) while traffic flows over <paramref name="estate"/>.</summary>
    public Task<DrillResult> RotateAsync(IStateStore store, IKeyCustody custody, IWorkloadEstate estate, DrillRequest request, TimeProvider time, Func<ITargetResolver, ITargetResolver>? wrapTargets = null, CancellationToken cancellationToken = default) =>
        EngineDrill.RotateUnderTrafficAsync(store, custody, wrapTargets is null ? Resolver : wrapTargets(Resolver), estate, request, time, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        Resolver.Dispose();
        await Kube.DisposeAsync();
    }
}
