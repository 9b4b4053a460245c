using System.Security.Cryptography.X509Certificates;
using Rotation.Core.Pki;

namespace Rotation.Drill.Workloads;

/// <summary>
/// The roots one workload has loaded, and the generation of the control-plane push that brought them (so a late,
/// older push never overwrites a newer one).
/// </summary>
public sealed class WorkloadTrustStore
{
    public WorkloadTrustStore(TrustBundle bundle, long generation)
    {
        Bundle = bundle;
        Generation = generation;
        Anchors = new X509Certificate2Collection();
        foreach (var anchor in bundle)
            Anchors.Add(anchor.ToX509Certificate2());
    }

    public TrustBundle Bundle { get; }
    public long Generation { get; }
    public X509Certificate2Collection Anchors { get; }
}
