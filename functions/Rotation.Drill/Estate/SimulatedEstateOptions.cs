using Rotation.Core.Domain;

namespace Rotation.Drill.Estate;

/// <summary>How big the simulated estate is and how its clusters behave.</summary>
public sealed class SimulatedEstateOptions
{
    public int Clusters { get; init; } = 3;
    public int WorkloadsPerCluster { get; init; } = 3;
    public SimulatedClusterOptions Cluster { get; init; } = new();

    /// <summary>In-process clusters are cheap (no API server each); the Kubernetes fleet has its own, lower bound.</summary>
    public const int MaxClusters = 1000;

    public void Validate()
    {
        if (Clusters is < 1 or > MaxClusters)
            throw new DomainException($"--clusters must be between 1 and {MaxClusters} (got {Clusters})");
        if (WorkloadsPerCluster is < 1 or > 999)
            throw new DomainException($"--workloads must be between 1 and 999 (got {WorkloadsPerCluster})");
        if (Clusters * WorkloadsPerCluster < 2)
            throw new DomainException("the drill needs at least two workloads to handshake: raise --clusters or --workloads");
        Cluster.Validate();
    }
}
