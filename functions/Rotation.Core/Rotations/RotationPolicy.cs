namespace Rotation.Core.Rotations;

/// <summary>
/// How a rotation behaves; snapshotted into the record when it starts so a resume runs with the same rules.
/// Defaults are the safe ones.
/// </summary>
public sealed record RotationPolicy
{
    /// <summary>Phases that wait for an explicit approval before they run. The point of no return needs one by default.</summary>
    public IReadOnlyList<RotationPhase> ApprovalRequiredFor { get; init; } = [RotationPhase.RetireOldRoot, RotationPhase.RetireOldIntermediate];

    /// <summary>The longest workload leaf lifetime in the estate: the leaf gate's time rule waits this long after the switch.</summary>
    public TimeSpan MaxLeafTtl { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Added to <see cref="MaxLeafTtl"/> for clocks, propagation and stragglers.</summary>
    public TimeSpan LeafGrace { get; init; } = TimeSpan.FromHours(1);

    /// <summary>First wait after a gate holds; doubles per attempt up to <see cref="GateRetryMax"/>.</summary>
    public TimeSpan GateRetryInitial { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan GateRetryMax { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Validity of the new CAs minted by Prepare.</summary>
    public TimeSpan RootValidity { get; init; } = TimeSpan.FromDays(3650);
    public TimeSpan IntermediateValidity { get; init; } = TimeSpan.FromDays(365);

    public bool RequiresApproval(RotationPhase phase) => ApprovalRequiredFor.Contains(phase);

    /// <summary>The wait after the <paramref name="attempt"/>-th consecutive hold of a gate (1-based).</summary>
    public TimeSpan GateBackoff(int attempt)
    {
        var factor = Math.Pow(2, Math.Clamp(attempt - 1, 0, 30));
        var wait = TimeSpan.FromTicks((long)Math.Min(GateRetryInitial.Ticks * factor, GateRetryMax.Ticks));
        return wait < GateRetryInitial ? GateRetryInitial : wait;
    }

    /// <summary>Every forward phase needs an approval (rotate --approve-each-phase).</summary>
    public RotationPolicy ApprovingEachPhase(RotationKind kind) => this with { ApprovalRequiredFor = RotationPlans.For(kind) };
}
