using Rotation.Core.Domain;
using Rotation.Core.Rotations.Engine;
using Rotation.Core.Rotations.Evidence;

namespace Rotation.Core.Rotations.Steps;

/// <summary>Turns per-target write results into a phase outcome: done when every target is done, else holding on the first that is not.</summary>
public static class StepOutcomes
{
    public static PhaseOutcome FromWrites(
        StepContext context,
        IReadOnlyList<TargetResult<TargetVerdict>> results,
        string summary,
        IReadOnlyList<CertificateAuthority>? authoritiesWhenDone = null,
        bool issuerSwitched = false)
    {
        var perTarget = DoneEarlier(context);
        foreach (var result in results)
        {
            perTarget[result.Target] = result.Value ?? TargetVerdict.NotYet($"unavailable: {result.Error}");
        }

        var failed = results.FirstOrDefault(r => r.Value is null);
        return failed is null
            ? new PhaseOutcome.Done(perTarget, summary, authoritiesWhenDone ?? [], IssuerSwitched: issuerSwitched)
            : new PhaseOutcome.Holding(perTarget, $"{failed.Target}: unavailable: {failed.Error}");
    }

    /// <summary>The verdicts of the targets already done in this phase, as the record holds them: a step does not read or write them again.</summary>
    public static SortedDictionary<string, TargetVerdict> DoneEarlier(StepContext context)
    {
        var perTarget = new SortedDictionary<string, TargetVerdict>(StringComparer.Ordinal);
        foreach (var target in context.Targets.Where(t => context.IsDone(t.Name)))
        {
            perTarget[target.Name] = new TargetVerdict(true, context.Record.Targets[target.Name].Detail);
        }

        return perTarget;
    }

    public static PhaseOutcome FromVerdict(GateVerdict verdict, IReadOnlyList<CertificateAuthority>? authoritiesWhenDone = null) =>
        verdict.Satisfied
            ? new PhaseOutcome.Done(verdict.PerTarget, verdict.Reason, authoritiesWhenDone ?? [])
            : new PhaseOutcome.Holding(verdict.PerTarget, verdict.Reason, verdict.RecheckNoEarlierThan);
}
