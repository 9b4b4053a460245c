using Rotation.Drill.Estate;
using Rotation.Drill.Workloads;
using Rotation.Infra.Kubernetes.Simulator;

namespace Rotation.Drill.Kubernetes;

/// <summary>
/// Drill workloads on a set of simulated Kubernetes clusters: W workloads per cluster, each in its own namespace,
/// fed only by what is in the cluster (see <see cref="KubernetesBackedCluster"/>). Usable on its own: give it running
/// <see cref="SimulatedKubeCluster"/>s with istiod and cacerts seeded, then run a <see cref="Drills.DrillRunner"/> over it.
/// It writes nothing the rotation writes, so whatever rotates those clusters (the engine, a crashed and resumed
/// process, a manual sequence) is what the handshakes judge.
/// </summary>
public sealed class KubernetesBackedEstate : IWorkloadEstate, IAsyncDisposable
{
    private KubernetesBackedEstate(IReadOnlyList<KubernetesBackedCluster> clusters, MandatoryWaitTracker waits, RenewalLateness renewals)
    {
        Clusters = clusters;
        MandatoryWaits = waits;
        Renewals = renewals;
        Workloads = clusters.SelectMany(c => c.Workloads).ToList();
    }

    public IReadOnlyList<KubernetesBackedCluster> Clusters { get; }
    public IReadOnlyList<SimulatedWorkload> Workloads { get; }
    public int ClusterCount => Clusters.Count;
    public MandatoryWaitTracker MandatoryWaits { get; }

    /// <summary>How late the workloads renewed their leaves (a starved machine makes the drill invalid).</summary>
    public RenewalLateness Renewals { get; }

    /// <summary>Creates the workload namespaces, waits for each cluster's first root and CA, issues first leaves and opens the listeners.</summary>
    public static async Task<KubernetesBackedEstate> StartAsync(
        string trustDomain,
        IReadOnlyList<(string Name, SimulatedKubeCluster Kube)> clusters,
        int workloadsPerCluster,
        SimulatedClusterOptions physics,
        KubernetesEstateOptions? options = null,
        TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default)
    {
        var o = options ?? new KubernetesEstateOptions();
        o.Validate();
        physics.Validate();
        var time = timeProvider ?? TimeProvider.System;
        var waits = new MandatoryWaitTracker();
        var renewals = new RenewalLateness();
        var authorization = new PeerAuthorization();
        var workloadNames = Enumerable.Range(1, workloadsPerCluster).Select(i => $"workload-{i:D2}").ToList();
        var backed = clusters
            .Select(c => new KubernetesBackedCluster(c.Name, trustDomain, c.Kube, workloadNames, authorization, physics, o.SyncInterval, time, waits, renewals: renewals))
            .ToList();
        foreach (var workload in backed.SelectMany(c => c.Workloads))
            authorization.Allow(workload.SpiffeId);
        var estate = new KubernetesBackedEstate(backed, waits, renewals);
        try
        {
            await Task.WhenAll(backed.Select(c => c.StartAsync(o.StartTimeout, cancellationToken)));
        }
        catch
        {
            // Halts the clusters that did start (their renewals are CPU-bound) before unwinding any of them.
            await estate.DisposeAsync();
            throw;
        }

        return estate;
    }

    /// <summary>Stops every cluster's clocks at once (see <c>Halt</c> on a cluster).</summary>
    public void Halt()
    {
        foreach (var cluster in Clusters)
            cluster.Halt();
    }

    /// <summary>Halts every cluster, then disposes them all at once: one after another, 99 clusters' listeners close slowly on a busy machine.</summary>
    public async ValueTask DisposeAsync()
    {
        Halt();
        await Task.WhenAll(Clusters.Select(c => c.DisposeAsync().AsTask()));
    }
}
