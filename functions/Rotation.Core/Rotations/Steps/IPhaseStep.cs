using Rotation.Core.Ports;
using Rotation.Core.Rotations.Engine;
using Rotation.Core.Rotations.Evidence;

namespace Rotation.Core.Rotations.Steps;

/// <summary>
/// One phase's work, split so that either host can fan it out: <see cref="BeginAsync"/> plans (names only),
/// <see cref="RunOnTargetAsync"/> does one target's part of a round (the CLI runs it through <see cref="TargetFanOut"/>,
/// the Durable host as one activity per cluster), <see cref="Reduce"/> turns a round's answers into the next round or
/// the outcome, which the runner commits. Idempotent: running it again, or after a crash half-way, leaves the same
/// outcome. <see cref="PhaseRounds.RunAsync"/> runs the three in one process.
/// </summary>
public interface IPhaseStep
{
    Task<PhaseRound> BeginAsync(StepContext context, CancellationToken cancellationToken);

    /// <summary>One target's part of round <paramref name="round"/>. A target that cannot be reached throws (<see cref="TargetUnavailableException"/>).</summary>
    Task<TargetPart> RunOnTargetAsync(StepContext context, IRotationTarget target, int round, CancellationToken cancellationToken);

    /// <summary>The round's answers (in the order of the round's targets) reduced; throws <see cref="UnsafeStepException"/> to refuse.</summary>
    PhaseRound Reduce(StepContext context, int round, IReadOnlyList<TargetResult<TargetPart>> parts);
}
