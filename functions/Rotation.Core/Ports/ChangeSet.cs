using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Rotations;

namespace Rotation.Core.Ports;

/// <summary>Everything one state change writes: it lands together or not at all.</summary>
public sealed class ChangeSet
{
    public TrustDomain? Domain { get; init; }
    public IReadOnlyList<CertificateAuthority> Authorities { get; init; } = [];
    public IReadOnlyList<ClusterRegistration> Clusters { get; init; } = [];

    /// <summary>Clusters to delete, by name; the caller's version must match.</summary>
    public IReadOnlyList<ClusterRegistration> RemovedClusters { get; init; } = [];
    public RotationRecord? Rotation { get; init; }

    /// <summary>Leaves Rotation issued (inserted with Version 0) or forgot (updated, version-checked), keyed by domain and serial.</summary>
    public IReadOnlyList<IssuedLeaf> IssuedLeaves { get; init; } = [];
    public IReadOnlyList<CloudEvent> Events { get; init; } = [];
}
