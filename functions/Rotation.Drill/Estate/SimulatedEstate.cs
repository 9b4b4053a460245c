using Rotation.Core.Domain;
using Rotation.Core.Ports;
using Rotation.Drill.Workloads;

namespace Rotation.Drill.Estate;

/// <summary>
/// The drill's estate: K simulated clusters × W workloads of one trust domain, all started from the domain's
/// active CAs (initial issuer and bundle). It is the target resolver a drill rotation fans out to.
/// </summary>
public sealed class SimulatedEstate : ITargetResolver, ITargetChangeSignals, IWorkloadEstate, IAsyncDisposable
{
    private SimulatedEstate(string domain, IReadOnlyList<SimulatedCluster> clusters, SimulatedEstateOptions options, MandatoryWaitTracker waits, RenewalLateness renewals)
    {
        Domain = domain;
        Clusters = clusters;
        Options = options;
        MandatoryWaits = waits;
        Renewals = renewals;
        Workloads = clusters.SelectMany(c => c.Workloads).ToList();
    }

    public string Domain { get; }
    public IReadOnlyList<SimulatedCluster> Clusters { get; }
    public IReadOnlyList<SimulatedWorkload> Workloads { get; }
    public SimulatedEstateOptions Options { get; }
    public int ClusterCount => Clusters.Count;

    /// <summary>Waits the estate's physics imposed (propagation, leaf re-issue after a switch).</summary>
    public MandatoryWaitTracker MandatoryWaits { get; }

    /// <summary>How late the workloads renewed their leaves (a starved machine makes the drill invalid).</summary>
    public RenewalLateness Renewals { get; }

    /// <summary>Builds the clusters, issues every workload's first leaf and opens every listener.</summary>
    public static SimulatedEstate Start(string domain, IssuerMaterial initialIssuer, SimulatedEstateOptions options, TimeProvider? timeProvider = null)
    {
        options.Validate();
        var time = timeProvider ?? TimeProvider.System;
        var waits = new MandatoryWaitTracker();
        var renewals = new RenewalLateness();
        var authorization = new PeerAuthorization();
        var workloadNames = Enumerable.Range(1, options.WorkloadsPerCluster).Select(i => $"workload-{i:D2}").ToList();
        var clusters = Enumerable.Range(1, options.Clusters)
            .Select(i => new SimulatedCluster($"cluster-{i:D2}", domain, workloadNames, initialIssuer, authorization, options.Cluster, time, waits, renewals))
            .ToList();
        foreach (var workload in clusters.SelectMany(c => c.Workloads))
            authorization.Allow(workload.SpiffeId);
        // Minting hundreds of first leaves is CPU work: spread it over the cores.
        Parallel.ForEach(clusters, cluster => cluster.Start());
        return new SimulatedEstate(domain, clusters, options, waits, renewals);
    }

    public Task<IReadOnlyList<IRotationTarget>> ResolveAsync(string domain, CancellationToken cancellationToken = default)
    {
        if (!string.Equals(domain, Domain, StringComparison.Ordinal))
            throw new DomainException($"the simulated estate serves trust domain '{Domain}', not '{domain}': run the drill for '{Domain}'");
        return Task.FromResult<IReadOnlyList<IRotationTarget>>(Clusters.Cast<IRotationTarget>().ToList());
    }

    /// <summary>Every cluster's change signal: a workload loaded a bundle or a leaf.</summary>
    public ChangeMark Mark(string domain) => new(Clusters.Select(c => c.Changes));

    /// <summary>Stops every cluster's clocks at once (see <c>Halt</c> on a cluster).</summary>
    public void Halt()
    {
        foreach (var cluster in Clusters)
            cluster.Halt();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var cluster in Clusters)
            await cluster.DisposeAsync();
    }
}
