using Rotation.Core.Domain;
using Rotation.Core.Ports;
using Rotation.Core.Rotations.Engine;
using Rotation.Core.Rotations.Evidence;

namespace Rotation.Core.Rotations.Steps;

/// <summary>
/// Gate: every workload leaf is issued by the expected intermediate (by evidence, else by the time rule), and no
/// live leaf recorded by <c>rotation issue-leaf</c> was issued by another CA (<see cref="IssuedLeafEvidence"/>).
/// One round over every target: a leaf can appear anywhere until the gate releases.
/// </summary>
public sealed class LeafGateStep(Func<RotationMaterial, CertificateAuthority> expectedIssuer) : IPhaseStep
{
    public Task<PhaseRound> BeginAsync(StepContext context, CancellationToken cancellationToken) =>
        Task.FromResult<PhaseRound>(new PhaseRound.Next(0, context.TargetNames));

    public async Task<TargetPart> RunOnTargetAsync(StepContext context, IRotationTarget target, int round, CancellationToken cancellationToken) =>
        LeafEvidence.Judge(
            await target.ReportLeavesAsync(cancellationToken),
            expectedIssuer(context.Material).Certificate,
            context.Record.IssuerSwitchedAt,
            context.Now,
            context.Record.Policy);

    public PhaseRound Reduce(StepContext context, int round, IReadOnlyList<TargetResult<TargetPart>> parts)
    {
        var expected = expectedIssuer(context.Material);
        var verdict = LeafEvidence.Combine(parts.Select(p => (p.Target, p.Value ?? LeafEvidence.Unavailable(p.Error))).ToList(), expected.Certificate);

        // Leaves Rotation issued itself are evidence too: the targets cannot show them, and the time rule knows nothing of their TTL.
        if (IssuedLeafEvidence.NotIssuedBy(context, expected) is { } recorded)
        {
            return new PhaseRound.Finished(verdict.Satisfied
                ? recorded with { PerTarget = verdict.PerTarget }
                : new PhaseOutcome.Holding(verdict.PerTarget, $"{verdict.Reason}; {recorded.Reason}", verdict.RecheckNoEarlierThan));
        }

        return new PhaseRound.Finished(StepOutcomes.FromVerdict(verdict));
    }
}
