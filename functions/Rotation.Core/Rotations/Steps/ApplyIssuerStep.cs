using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Rotations.Engine;

namespace Rotation.Core.Rotations.Steps;

/// <summary>
/// Makes every target issue from an intermediate, after checking on live evidence that every trust store
/// already trusts that intermediate's root. Used by SwitchIssuer and, on abort, RevertIssuer.
/// </summary>
public sealed class ApplyIssuerStep(
    Func<RotationMaterial, CertificateAuthority> issuer,
    Func<RotationMaterial, TrustBundle> bundle) : IPhaseStep
{
    public async Task<PhaseOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        var material = context.Material;
        var intermediate = issuer(material);
        var root = material.Inventory.Find(intermediate.ParentId ?? string.Empty)
            ?? throw new DomainException($"intermediate '{intermediate.Id}' has no parent in the store: the store is inconsistent");

        if (await SafetyChecks.EnsureRootTrustedEverywhereAsync(context, intermediate, root, cancellationToken) is { } cannotCheck)
        {
            return new PhaseOutcome.Holding(PhaseOutcome.NoTargets, cannotCheck);
        }

        var pending = context.Targets.Where(t => !context.IsDone(t.Name)).ToList();
        if (await Drift.DriftGate.EnsureAsync(pending, Drift.DriftExpectation.During(context.Record, material.Inventory), material.Inventory, context.MaxTargetConcurrency, cancellationToken) is { } cannotRead)
        {
            return new PhaseOutcome.Holding(PhaseOutcome.NoTargets, cannotRead);
        }

        var issuerMaterial = await material.IssuerAsync(intermediate, bundle(material), cancellationToken);
        var results = await TargetFanOut.RunAsync(
            pending,
            async (t, ct) =>
            {
                await t.ApplyIssuerAsync(issuerMaterial, context.WriteContext, ct);
                return Evidence.TargetVerdict.Ok($"issuing from {intermediate.Id}");
            },
            context.MaxTargetConcurrency,
            cancellationToken);

        return StepOutcomes.FromWrites(context, results, $"every target issues from {intermediate.Id}", issuerSwitched: true);
    }
}
