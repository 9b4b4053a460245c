using Rotation.Core.Domain;
using Rotation.Core.Rotations.Engine;
using Rotation.Core.Rotations.Evidence;

namespace Rotation.Core.Rotations.Steps;

/// <summary>Gate: every trust store holds the required roots and none of the forbidden ones. Never skipped.</summary>
public sealed class TrustGateStep(
    Func<RotationMaterial, IReadOnlyList<CertificateAuthority>> required,
    Func<RotationMaterial, IReadOnlyList<CertificateAuthority>> forbidden) : IPhaseStep
{
    public async Task<PhaseOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        var material = context.Material;
        var reports = await TargetFanOut.RunAsync(context.Targets, (t, ct) => t.ReportTrustAsync(ct), context.MaxTargetConcurrency, cancellationToken);
        var verdict = TrustEvidence.Evaluate(
            reports,
            required(material).Select(a => a.Sha256).ToList(),
            forbidden(material).Select(a => a.Sha256).ToList(),
            material.Describe);
        return StepOutcomes.FromVerdict(verdict);
    }
}
