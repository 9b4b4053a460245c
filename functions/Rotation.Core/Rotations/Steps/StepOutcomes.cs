using Rotation.Core.Rotations.Engine;
using Rotation.Core.Rotations.Evidence;

namespace Rotation.Core.Rotations.Steps;

/// <summary>Turns a round's answers into a phase outcome: done when every target is done, else holding on the first that is not.</summary>
public static class StepOutcomes
{
    /// <summary>A write round decided. A drift found by a write's own re-read refuses, as the estate-wide read would have.</summary>
    public static PhaseRound FromWrites(
        StepContext context,
        IReadOnlyList<TargetResult<TargetPart>> results,
        string summary,
        bool issuerSwitched = false)
    {
        _ = TargetChecks.DriftRefusal(results);
        var perTarget = DoneEarlier(context);
        foreach (var result in results)
        {
            perTarget[result.Target] = result.Value is { } part ? new TargetVerdict(part.Done, part.Detail) : TargetVerdict.NotYet($"unavailable: {result.Error}");
        }

        var failed = results.FirstOrDefault(r => r.Value is not { Done: true });
        return new PhaseRound.Finished(failed is null
            ? new PhaseOutcome.Done(perTarget, summary, [], IssuerSwitched: issuerSwitched)
            : new PhaseOutcome.Holding(perTarget, failed.Value is { } notDone ? $"{failed.Target}: {notDone.Detail}" : $"{failed.Target}: unavailable: {failed.Error}"));
    }

    /// <summary>The verdicts of the targets already done in this phase, as the record holds them: a step does not read or write them again.</summary>
    public static SortedDictionary<string, TargetVerdict> DoneEarlier(StepContext context)
    {
        var perTarget = new SortedDictionary<string, TargetVerdict>(StringComparer.Ordinal);
        foreach (var target in context.TargetNames.Where(context.IsDone))
        {
            perTarget[target] = new TargetVerdict(true, context.Record.Targets[target].Detail);
        }

        return perTarget;
    }

    public static PhaseOutcome FromVerdict(GateVerdict verdict) =>
        verdict.Satisfied
            ? new PhaseOutcome.Done(verdict.PerTarget, verdict.Reason, [])
            : new PhaseOutcome.Holding(verdict.PerTarget, verdict.Reason, verdict.RecheckNoEarlierThan);
}
