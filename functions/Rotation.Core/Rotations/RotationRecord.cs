namespace Rotation.Core.Rotations;

/// <summary>
/// The single source of truth for one rotation. Immutable: every step returns a new record, and the store
/// commits it with optimistic concurrency on <see cref="Version"/>.
/// </summary>
public sealed record RotationRecord
{
    public required string Id { get; init; }
    public required string Domain { get; init; }
    public required RotationKind Kind { get; init; }
    public RotationStatus Status { get; init; } = RotationStatus.Running;

    /// <summary>The phases to run, in order; replaced by the unwind plan on abort.</summary>
    public required IReadOnlyList<RotationPhase> Plan { get; init; }

    /// <summary>Index into <see cref="Plan"/> of the phase to run next; Plan.Count when done.</summary>
    public int PhaseIndex { get; init; }

    /// <summary>0 for the forward plan, 1 once an abort replaced it. Approvals and event ids are scoped to it.</summary>
    public int PlanGeneration { get; init; }

    public required RotationAuthorities Authorities { get; init; }

    /// <summary>Per-target progress of the current phase, by target name.</summary>
    public IReadOnlyDictionary<string, TargetProgress> Targets { get; init; } = new Dictionary<string, TargetProgress>();

    /// <summary>The current phase's step, while a host runs it one target at a time (<see cref="Engine.PhaseRoundState"/>); null otherwise.</summary>
    public Engine.PhaseRoundState? Round { get; init; }

    /// <summary>The current phase's gate, when it has been checked and is holding.</summary>
    public GateState? Gate { get; init; }

    public IReadOnlyList<Approval> Approvals { get; init; } = [];
    public IReadOnlyList<AuditEntry> Audit { get; init; } = [];
    public required RotationPolicy Policy { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>When the issuer switch (or its revert) finished on every target: the time rule of the leaf gates counts from here.</summary>
    public DateTimeOffset? IssuerSwitchedAt { get; init; }
    public DateTimeOffset? PhaseStartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public string? FailureReason { get; init; }
    public long Version { get; init; }

    public bool IsFinished => Status is RotationStatus.Completed or RotationStatus.Aborted or RotationStatus.Failed;
    public bool IsActive => !IsFinished;
    public RotationPhase? CurrentPhase => PhaseIndex < Plan.Count ? Plan[PhaseIndex] : null;
}

/// <summary>The CA ids a rotation moves between. New ids are set by Prepare (deterministic from the rotation id).</summary>
public sealed record RotationAuthorities(string OldRootId, string OldIntermediateId, string? NewRootId, string? NewIntermediateId);

/// <summary>A target's state in the current phase (a target not in <see cref="RotationRecord.Targets"/> has not been written or read yet).</summary>
public enum TargetState
{
    Done,
    Blocked,
}

/// <summary>One target's progress in the current phase; Detail says what it saw or why it holds.</summary>
public sealed record TargetProgress(RotationPhase Phase, TargetState State, string Detail, DateTimeOffset UpdatedAt);

/// <summary>
/// A gate that held: why, how often it was checked, and when to look again (<see cref="Engine.GateRecheck"/> decides).
/// <see cref="TimeRuleAt"/> is set when only the clock holds it (the leaf time rule, a recorded leaf's expiry): then
/// <see cref="NextCheckAt"/> is that instant and a change on a target cannot release it sooner. Otherwise
/// <see cref="NextCheckAt"/> is the fallback deadline and a change signalled by a target re-checks it earlier.
/// </summary>
public sealed record GateState(RotationPhase Phase, string Reason, int Attempts, DateTimeOffset NextCheckAt, DateTimeOffset? TimeRuleAt = null)
{
    /// <summary>A change on a target can release this gate, so the driver wakes for one.</summary>
    public bool WakesOnChange => TimeRuleAt is null;
}

public sealed record Approval(RotationPhase Phase, string ApprovedBy, DateTimeOffset ApprovedAt, int Generation = 0);

public sealed record AuditEntry(DateTimeOffset At, string Event, RotationPhase? Phase, string Detail);
