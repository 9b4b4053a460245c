using Rotation.Core.Domain;
using Rotation.Core.Rotations.Evidence;

namespace Rotation.Core.Rotations.Engine;

/// <summary>What a step did: the phase is done, or it holds (a gate, or targets that could not be written).</summary>
public abstract record PhaseOutcome(IReadOnlyDictionary<string, TargetVerdict> PerTarget)
{
    /// <summary>For an outcome decided before any target was written or read one by one (a refusal, a store-side check, Prepare).</summary>
    public static readonly IReadOnlyDictionary<string, TargetVerdict> NoTargets = new Dictionary<string, TargetVerdict>();

    /// <summary>The phase is done. <paramref name="Authorities"/> are CA inserts/status changes to commit with it.</summary>
    public sealed record Done(
        IReadOnlyDictionary<string, TargetVerdict> PerTarget,
        string Summary,
        IReadOnlyList<CertificateAuthority> Authorities,
        RotationAuthorities? NewAuthorities = null,
        bool IssuerSwitched = false) : PhaseOutcome(PerTarget);

    /// <summary>The phase must be run again later; nothing past it may happen.</summary>
    public sealed record Holding(
        IReadOnlyDictionary<string, TargetVerdict> PerTarget,
        string Reason,
        DateTimeOffset? RecheckNoEarlierThan = null) : PhaseOutcome(PerTarget);
}
