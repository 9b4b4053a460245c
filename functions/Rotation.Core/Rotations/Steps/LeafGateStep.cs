using Rotation.Core.Domain;
using Rotation.Core.Rotations.Engine;
using Rotation.Core.Rotations.Evidence;

namespace Rotation.Core.Rotations.Steps;

/// <summary>
/// Gate: every workload leaf is issued by the expected intermediate (by evidence, else by the time rule), and no
/// live leaf recorded by <c>rotation issue-leaf</c> was issued by another CA (<see cref="IssuedLeafEvidence"/>).
/// </summary>
public sealed class LeafGateStep(Func<RotationMaterial, CertificateAuthority> expectedIssuer) : IPhaseStep
{
    public async Task<PhaseOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        var reports = await TargetFanOut.RunAsync(context.Targets, (t, ct) => t.ReportLeavesAsync(ct), context.MaxTargetConcurrency, cancellationToken);
        var expected = expectedIssuer(context.Material);
        var verdict = LeafEvidence.Evaluate(
            reports,
            expected.Certificate,
            context.Record.IssuerSwitchedAt,
            context.Now,
            context.Record.Policy);

        // Leaves Rotation issued itself are evidence too: the targets cannot show them, and the time rule knows nothing of their TTL.
        if (IssuedLeafEvidence.NotIssuedBy(context, expected) is { } recorded)
        {
            return verdict.Satisfied
                ? recorded with { PerTarget = verdict.PerTarget }
                : new PhaseOutcome.Holding(verdict.PerTarget, $"{verdict.Reason}; {recorded.Reason}", verdict.RecheckNoEarlierThan);
        }

        return StepOutcomes.FromVerdict(verdict);
    }
}
