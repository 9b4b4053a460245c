using Rotation.Core.Pki;
using Rotation.Core.Ports;

namespace Rotation.Drill.Estate;

/// <summary>
/// Where a cluster's workloads take their material from: the bundle their namespace currently offers them and the
/// issuer that signs their next leaf. A workload pulls from it; nothing here pushes.
/// </summary>
public interface IClusterMaterialSource
{
    /// <summary>The roots a workload in <paramref name="workloadNamespace"/> would load now, or null when none is published yet.</summary>
    TrustBundle? BundleFor(string workloadNamespace);

    /// <summary>The issuer that signs a leaf requested now, or null when the control plane holds none.</summary>
    IssuerMaterial? CurrentIssuer { get; }
}
