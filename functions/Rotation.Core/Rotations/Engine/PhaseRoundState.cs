using Rotation.Core.Rotations.Evidence;
using Rotation.Core.Rotations.Steps;

namespace Rotation.Core.Rotations.Engine;

/// <summary>
/// A phase step in progress one target at a time (the Durable host's cluster activities): the round it is in, the
/// estate it runs over, and every target's answer so far. Kept in the record, so an answer survives a crash and the
/// orchestration's history holds only one batch of answers at a time, however large the estate.
/// </summary>
public sealed record PhaseRoundState(
    RotationPhase Phase,
    int PhaseIndex,
    int PlanGeneration,
    int Round,
    IReadOnlyList<string> Estate,
    IReadOnlyList<string> Targets,
    IReadOnlyDictionary<string, TargetResult<TargetPart>> Parts,
    DateTimeOffset StartedAt)
{
    /// <summary>The round belongs to the record's current phase (an abort, a hold or a commit makes it stale).</summary>
    public bool Belongs(RotationRecord record) =>
        record.IsActive && record.CurrentPhase == Phase && record.PhaseIndex == PhaseIndex && record.PlanGeneration == PlanGeneration;

    /// <summary>The batch was planned from this round.</summary>
    public bool Planned(RoundBatch batch) =>
        batch.Phase == Phase && batch.PhaseIndex == PhaseIndex && batch.PlanGeneration == PlanGeneration && batch.Round == Round;

    /// <summary>The targets of the round without an answer yet, in the round's order.</summary>
    public IReadOnlyList<string> Unanswered => Targets.Where(t => !Parts.ContainsKey(t)).ToList();
}

/// <summary>Targets of one round to run now (at most the host's parallelism), by name, with the round they belong to.</summary>
public sealed record RoundBatch(RotationPhase Phase, int PhaseIndex, int PlanGeneration, int Round, IReadOnlyList<string> Targets);

/// <summary>What a batch's targets answered.</summary>
public sealed record RoundAnswers(RoundBatch Batch, IReadOnlyList<TargetResult<TargetPart>> Parts);

/// <summary>Where the phase stands after <see cref="RotationStepRunner.AdvanceAsync"/>: the next batch to run, or (null) the step is committed.</summary>
public sealed record RoundAdvance(RotationRecord Record, RoundBatch? Next);
