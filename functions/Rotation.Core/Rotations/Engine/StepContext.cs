using Rotation.Core.Ports;

namespace Rotation.Core.Rotations.Engine;

/// <summary>Everything a step reads, gathered once by the runner.</summary>
public sealed record StepContext(
    RotationRecord Record,
    RotationMaterial Material,
    IReadOnlyList<IRotationTarget> Targets,
    DateTimeOffset Now,
    int MaxTargetConcurrency,
    IReadOnlyList<Domain.IssuedLeaf>? RecordedLeaves = null)
{
    /// <summary>The leaves <c>rotation issue-leaf</c> recorded in the rotation's domain (leaf-gate evidence no target shows).</summary>
    public IReadOnlyList<Domain.IssuedLeaf> IssuedLeaves => RecordedLeaves ?? [];

    public RotationWriteContext WriteContext => new(Record.Id, Record.CurrentPhase ?? throw new InvalidOperationException("the rotation has no current phase"));

    /// <summary>Targets already done in this phase (a re-run after a crash or a hold skips them).</summary>
    public bool IsDone(string target) =>
        Record.Targets.TryGetValue(target, out var progress)
        && progress.Phase == Record.CurrentPhase
        && progress.State == TargetState.Done;
}
