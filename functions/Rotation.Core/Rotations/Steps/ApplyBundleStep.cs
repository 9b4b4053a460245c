using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations.Engine;
using Rotation.Core.Rotations.Evidence;

namespace Rotation.Core.Rotations.Steps;

/// <summary>
/// Writes a trust bundle to every target not yet done in this phase. Round 0 reads before anything is written: when
/// the bundle drops a root, every target's leaves (none may still chain to it), and every pending target's content
/// (drift). Round 1 writes.
/// </summary>
public sealed class ApplyBundleStep(
    Func<RotationMaterial, TrustBundle> bundle,
    Func<RotationMaterial, CertificateAuthority?> droppedRoot) : IPhaseStep
{
    private const int Check = 0;
    private const int Write = 1;

    public Task<PhaseRound> BeginAsync(StepContext context, CancellationToken cancellationToken) =>
        Task.FromResult<PhaseRound>(new PhaseRound.Next(Check, droppedRoot(context.Material) is null ? PhaseRounds.Pending(context) : context.TargetNames));

    public async Task<TargetPart> RunOnTargetAsync(StepContext context, IRotationTarget target, int round, CancellationToken cancellationToken)
    {
        var pending = !context.IsDone(target.Name);
        if (round == Check)
        {
            var leaves = droppedRoot(context.Material) is { } dropped
                ? await TargetChecks.LeavesChainingToAsync(context, target, dropped, issuer: null, cancellationToken)
                : null;
            var drift = pending ? await TargetChecks.DriftOnAsync(context, target, cancellationToken) : null;
            return TargetChecks.Combine(leaves, drift);
        }

        if (context.RecheckDriftBeforeWrite && await TargetChecks.DriftOnAsync(context, target, cancellationToken) is { Done: false } drifted)
        {
            return drifted;
        }

        var written = bundle(context.Material);
        await target.ApplyTrustBundleAsync(written, context.WriteContext, cancellationToken);
        return TargetPart.InPlace($"ok: bundle of {written.Count} root(s) written");
    }

    public PhaseRound Reduce(StepContext context, int round, IReadOnlyList<TargetResult<TargetPart>> parts)
    {
        var material = context.Material;
        if (round == Check)
        {
            var dropped = droppedRoot(material);
            return TargetChecks.ReduceChecks(
                    parts,
                    dropped is null ? null : $"cannot confirm that no leaf still chains to {dropped.Id}",
                    (count, examples) => $"refusing to drop root {dropped!.Id}: {count} live leaf/leaves still chain to it, e.g. {examples}: wait until leaves have moved to the new CA, or abort",
                    dropped is null ? null : () => IssuedLeafEvidence.ChainingTo(context, dropped))
                ?? new PhaseRound.Next(Write, PhaseRounds.Pending(context));
        }

        var target = bundle(material);
        return StepOutcomes.FromWrites(context, parts, $"trust bundle {{{string.Join(", ", target.Select(c => material.Describe(c.Sha256)))}}} written to every target");
    }
}
