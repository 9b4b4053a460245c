using Rotation.Core.Pki;
using Rotation.Drill.Workloads;

namespace Rotation.Drill.Kubernetes.Targets;

/// <summary>
/// What a simulated cluster hands one workload right now: the roots it validates peers with and the leaf it
/// presents, read from the cluster's objects and controllers the way the real consumer gets them (a proxy's env at
/// pod start, a Secret's tls.crt, a trust-manager target ConfigMap). A feed never writes what a rotation writes.
/// </summary>
public interface IWorkloadFeed
{
    /// <summary>Reads the material now, or null while the cluster hands the workload nothing yet.</summary>
    WorkloadMaterial? Read(SimulatedWorkload workload);
}

/// <param name="Trust">The roots the workload validates peers with.</param>
/// <param name="Credential">The leaf it presents (the same instance until the cluster hands out another).</param>
/// <param name="Instance">The process holding it (a pod uid), or null when the workload is never restarted by this feed's rules.</param>
public sealed record WorkloadMaterial(TrustBundle Trust, WorkloadCredential Credential, string? Instance);
