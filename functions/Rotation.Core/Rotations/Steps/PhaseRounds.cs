using Rotation.Core.Rotations.Engine;

namespace Rotation.Core.Rotations.Steps;

/// <summary>A phase step run whole in one process: every round fanned out over the targets with bounded concurrency.</summary>
public static class PhaseRounds
{
    public static async Task<PhaseOutcome> RunAsync(IPhaseStep step, StepContext context, CancellationToken cancellationToken)
    {
        var round = await step.BeginAsync(context, cancellationToken);
        while (round is PhaseRound.Next next)
        {
            var wanted = next.Targets.ToHashSet(StringComparer.Ordinal);
            var targets = context.Targets.Where(t => wanted.Contains(t.Name)).ToList();
            var parts = await TargetFanOut.RunAsync(targets, (t, ct) => step.RunOnTargetAsync(context, t, next.Index, ct), context.MaxTargetConcurrency, cancellationToken);
            round = step.Reduce(context, next.Index, parts);
        }

        return ((PhaseRound.Finished)round).Outcome;
    }

    /// <summary>The targets not yet done in this phase, by name, in the estate's order.</summary>
    public static IReadOnlyList<string> Pending(StepContext context) => context.TargetNames.Where(n => !context.IsDone(n)).ToList();
}
