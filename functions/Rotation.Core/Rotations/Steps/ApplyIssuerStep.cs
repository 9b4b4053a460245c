using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations.Engine;
using Rotation.Core.Rotations.Evidence;

namespace Rotation.Core.Rotations.Steps;

/// <summary>
/// Makes every target issue from an intermediate, after checking on live evidence that every trust store already
/// trusts that intermediate's root (round 0, with the drift read of every pending target). Round 1 writes. Used by
/// SwitchIssuer and, on abort, RevertIssuer.
/// </summary>
public sealed class ApplyIssuerStep(
    Func<RotationMaterial, CertificateAuthority> issuer,
    Func<RotationMaterial, TrustBundle> bundle) : IPhaseStep
{
    private const int Check = 0;
    private const int Write = 1;

    // The key is exported once per step run, however many targets this process writes.
    private readonly Lock _lock = new();
    private Task<IssuerMaterial>? _material;

    public Task<PhaseRound> BeginAsync(StepContext context, CancellationToken cancellationToken)
    {
        // An intermediate without its root in the store fails here, before any target is read.
        _ = RootOf(context);
        return Task.FromResult<PhaseRound>(new PhaseRound.Next(Check, context.TargetNames));
    }

    public async Task<TargetPart> RunOnTargetAsync(StepContext context, IRotationTarget target, int round, CancellationToken cancellationToken)
    {
        if (round == Check)
        {
            var trusted = await TargetChecks.RootTrustedAsync(target, RootOf(context), cancellationToken);
            var drift = context.IsDone(target.Name) ? null : await TargetChecks.DriftOnAsync(context, target, cancellationToken);
            return TargetChecks.Combine(trusted, drift);
        }

        if (context.RecheckDriftBeforeWrite && await TargetChecks.DriftOnAsync(context, target, cancellationToken) is { Done: false } drifted)
        {
            return drifted;
        }

        var intermediate = issuer(context.Material);
        await target.ApplyIssuerAsync(await MaterialAsync(context, cancellationToken), context.WriteContext, cancellationToken);
        return TargetPart.InPlace($"ok: issuing from {intermediate.Id}");
    }

    public PhaseRound Reduce(StepContext context, int round, IReadOnlyList<TargetResult<TargetPart>> parts)
    {
        var intermediate = issuer(context.Material);
        if (round == Check)
        {
            var root = RootOf(context);
            return TargetChecks.ReduceChecks(
                    parts,
                    $"cannot confirm that every trust store holds {root.Id} before issuing from {intermediate.Id}",
                    (count, examples) => $"refusing to issue from {intermediate.Id}: {count} trust store(s) lack its root {root.Id}, e.g. {examples}: distribute the root first (DistributeTrust, VerifyTrust)")
                ?? new PhaseRound.Next(Write, PhaseRounds.Pending(context));
        }

        return StepOutcomes.FromWrites(context, parts, $"every target issues from {intermediate.Id}", issuerSwitched: true);
    }

    private CertificateAuthority RootOf(StepContext context)
    {
        var intermediate = issuer(context.Material);
        return context.Material.Inventory.Find(intermediate.ParentId ?? string.Empty)
            ?? throw new DomainException($"intermediate '{intermediate.Id}' has no parent in the store: the store is inconsistent");
    }

    private Task<IssuerMaterial> MaterialAsync(StepContext context, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_material is null || _material.IsFaulted || _material.IsCanceled)
            {
                _material = context.Material.IssuerAsync(issuer(context.Material), bundle(context.Material), cancellationToken);
            }

            return _material;
        }
    }
}
