using Rotation.Core.Domain;
using Rotation.Core.Rotations.Engine;
using Rotation.Core.Rotations.Evidence;

namespace Rotation.Core.Rotations.Steps;

/// <summary>
/// Gate: every trust store holds the required roots and none of the forbidden ones. Never skipped.
/// A re-check reads only the targets not yet seen satisfied in this phase: at 99 clusters a full read takes seconds,
/// which is how long a gate would sit after the last cluster settled. That weakens nothing downstream: SwitchIssuer
/// re-reads every trust store before it writes (<see cref="SafetyChecks.EnsureRootTrustedEverywhereAsync"/>), and
/// after VerifyRetired or VerifyNewTrustWithdrawn nothing is written that a store seen earlier in the phase could break.
/// </summary>
public sealed class TrustGateStep(
    Func<RotationMaterial, IReadOnlyList<CertificateAuthority>> required,
    Func<RotationMaterial, IReadOnlyList<CertificateAuthority>> forbidden) : IPhaseStep
{
    public async Task<PhaseOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        var material = context.Material;
        var pending = context.Targets.Where(t => !context.IsDone(t.Name)).ToList();
        var reports = await TargetFanOut.RunAsync(pending, (t, ct) => t.ReportTrustAsync(ct), context.MaxTargetConcurrency, cancellationToken);
        var verdict = TrustEvidence.Evaluate(
            reports,
            required(material).Select(a => a.Sha256).ToList(),
            forbidden(material).Select(a => a.Sha256).ToList(),
            material.Describe);
        var perTarget = StepOutcomes.DoneEarlier(context);
        foreach (var (target, read) in verdict.PerTarget)
            perTarget[target] = read;
        return StepOutcomes.FromVerdict(verdict with { PerTarget = perTarget });
    }
}
