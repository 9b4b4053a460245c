using Rotation.Core.Domain;
using Rotation.Core.Rotations.Engine;
using Rotation.Core.Rotations.Evidence;

namespace Rotation.Core.Rotations.Steps;

/// <summary>Gate: every workload leaf is issued by the expected intermediate (by evidence, else by the time rule).</summary>
public sealed class LeafGateStep(Func<RotationMaterial, CertificateAuthority> expectedIssuer) : IPhaseStep
{
    public async Task<PhaseOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        var reports = await TargetFanOut.RunAsync(context.Targets, (t, ct) => t.ReportLeavesAsync(ct), context.MaxTargetConcurrency, cancellationToken);
        var verdict = LeafEvidence.Evaluate(
            reports,
            expectedIssuer(context.Material).Certificate,
            context.Record.IssuerSwitchedAt,
            context.Now,
            context.Record.Policy);
        return StepOutcomes.FromVerdict(verdict);
    }
}
