using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Rotations.Engine;

namespace Rotation.Core.Rotations.Steps;

/// <summary>
/// Writes a trust bundle to every target not yet done in this phase. When the bundle drops a root, first checks
/// that no observed leaf still chains to it.
/// </summary>
public sealed class ApplyBundleStep(
    Func<RotationMaterial, TrustBundle> bundle,
    Func<RotationMaterial, CertificateAuthority?> droppedRoot) : IPhaseStep
{
    public async Task<PhaseOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        var material = context.Material;
        if (droppedRoot(material) is { } dropped
            && await SafetyChecks.EnsureNoLeafChainsToAsync(context, dropped, issuer: null, cancellationToken) is { } cannotCheck)
        {
            return new PhaseOutcome.Holding(PhaseOutcome.NoTargets, cannotCheck);
        }

        if (droppedRoot(material) is { } droppedRootCa && Evidence.IssuedLeafEvidence.ChainingTo(context, droppedRootCa) is { } recordedLeaves)
        {
            return recordedLeaves;
        }

        var target = bundle(material);
        var pending = context.Targets.Where(t => !context.IsDone(t.Name)).ToList();
        if (await Drift.DriftGate.EnsureAsync(pending, Drift.DriftExpectation.During(context.Record, material.Inventory), material.Inventory, context.MaxTargetConcurrency, cancellationToken) is { } cannotRead)
        {
            return new PhaseOutcome.Holding(PhaseOutcome.NoTargets, cannotRead);
        }

        var results = await TargetFanOut.RunAsync(
            pending,
            async (t, ct) =>
            {
                await t.ApplyTrustBundleAsync(target, context.WriteContext, ct);
                return Evidence.TargetVerdict.Ok($"bundle of {target.Count} root(s) written");
            },
            context.MaxTargetConcurrency,
            cancellationToken);

        return StepOutcomes.FromWrites(context, results, $"trust bundle {{{string.Join(", ", target.Select(c => material.Describe(c.Sha256)))}}} written to every target");
    }
}
