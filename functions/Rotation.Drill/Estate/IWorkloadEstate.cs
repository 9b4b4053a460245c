using Rotation.Drill.Workloads;

namespace Rotation.Drill.Estate;

/// <summary>
/// What the drill's traffic and report need from an estate, whoever feeds its workloads their material: the
/// in-process <see cref="SimulatedEstate"/> or the Kubernetes-backed one (workloads fed by simulated API servers).
/// </summary>
public interface IWorkloadEstate
{
    IReadOnlyList<SimulatedWorkload> Workloads { get; }

    int ClusterCount { get; }

    /// <summary>Waits the estate's physics imposed (propagation, leaf re-issue after a switch).</summary>
    MandatoryWaitTracker MandatoryWaits { get; }

    /// <summary>How late the workloads renewed their leaves against their renewal clocks.</summary>
    RenewalLateness Renewals { get; }
}
