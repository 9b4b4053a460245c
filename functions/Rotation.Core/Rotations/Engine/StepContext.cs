using Rotation.Core.Ports;

namespace Rotation.Core.Rotations.Engine;

/// <summary>
/// Everything a step reads, gathered once by the runner. <see cref="Targets"/> are the targets this process can reach
/// for the step (every one in the CLI; the one cluster of a Durable cluster activity); <see cref="TargetNames"/> is the
/// whole estate the phase runs over, which planning and reducing need.
/// </summary>
public sealed record StepContext(
    RotationRecord Record,
    RotationMaterial Material,
    IReadOnlyList<IRotationTarget> Targets,
    DateTimeOffset Now,
    int MaxTargetConcurrency,
    IReadOnlyList<Domain.IssuedLeaf>? RecordedLeaves = null,
    IReadOnlyList<string>? Estate = null)
{
    private IReadOnlyList<string>? _names;

    /// <summary>The leaves <c>rotation issue-leaf</c> recorded in the rotation's domain (leaf-gate evidence no target shows).</summary>
    public IReadOnlyList<Domain.IssuedLeaf> IssuedLeaves => RecordedLeaves ?? [];

    /// <summary>Every target of the phase, by name.</summary>
    public IReadOnlyList<string> TargetNames => _names ??= Estate ?? Targets.Select(t => t.Name).ToList();

    /// <summary>
    /// A write re-reads its own target for drift first. The Durable host sets it: there the estate-wide drift read and a
    /// cluster's write are separate activities, possibly minutes apart; in one process they follow each other at once.
    /// </summary>
    public bool RecheckDriftBeforeWrite { get; init; }

    public RotationWriteContext WriteContext => new(Record.Id, Record.CurrentPhase ?? throw new InvalidOperationException("the rotation has no current phase"));

    /// <summary>Targets already done in this phase (a re-run after a crash or a hold skips them).</summary>
    public bool IsDone(string target) =>
        Record.Targets.TryGetValue(target, out var progress)
        && progress.Phase == Record.CurrentPhase
        && progress.State == TargetState.Done;
}
