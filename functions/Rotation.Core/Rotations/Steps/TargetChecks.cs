using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations.Drift;
using Rotation.Core.Rotations.Engine;
using Rotation.Core.Rotations.Evidence;

namespace Rotation.Core.Rotations.Steps;

/// <summary>
/// The engine's own refusals, checked on live evidence right before a dangerous write, whatever the phase order
/// says, one target at a time (<see cref="RootTrusted"/>, <see cref="LeavesChainingTo"/>, <see cref="DriftOn"/>) and
/// then over the whole estate (<see cref="ReduceChecks"/>): a mesh spans clusters, so no cluster is written until every
/// cluster has been read. They turn an outage into an <see cref="UnsafeStepException"/>. Evidence that cannot be
/// gathered holds the step instead, because "could not look" is not "looked and found nothing".
/// </summary>
public static class TargetChecks
{
    private const int Examples = 3;

    /// <summary>The stores of <paramref name="target"/> that lack <paramref name="root"/> (the refusal to issue from its intermediate).</summary>
    public static async Task<TargetPart> RootTrustedAsync(IRotationTarget target, CertificateAuthority root, CancellationToken cancellationToken)
    {
        var report = await target.ReportTrustAsync(cancellationToken);
        var lacking = report.Stores.Where(s => !s.Sha256Fingerprints.Contains(root.Sha256)).Select(s => $"{target.Name} {s.Location}").ToList();
        return lacking.Count == 0
            ? TargetPart.InPlace($"{report.Stores.Count} trust store(s) hold {root.Id}")
            : new TargetPart(false, $"{lacking.Count} trust store(s) lack {root.Id}", Unsafe: [.. lacking.Take(Examples)], UnsafeCount: lacking.Count);
    }

    /// <summary>The live leaves of <paramref name="target"/> that chain to <paramref name="root"/> (or, with <paramref name="issuer"/>, were issued by it).</summary>
    public static async Task<TargetPart> LeavesChainingToAsync(StepContext context, IRotationTarget target, CertificateAuthority root, CertificateAuthority? issuer, CancellationToken cancellationToken)
    {
        var report = await target.ReportLeavesAsync(cancellationToken);
        if (report.Holds is { } holds)
        {
            return new TargetPart(false, holds, Hold: holds);
        }

        var knownIntermediates = context.Material.Inventory.Authorities.Where(a => a.Role == CaRole.Intermediate).Select(a => a.Certificate).ToList();
        var anchor = TrustBundle.Of(root.Certificate);
        var offending = report.Leaves
            .Where(l => issuer is null
                ? ChainVerifier.Verify(l.Leaf, l.Intermediates.Concat(knownIntermediates), anchor, context.Now).IsValid
                : l.Leaf.NotAfter > context.Now && LeafVerdictCache.Shared.IsSignedBy(l.Leaf, issuer.Certificate))
            .Select(l => $"{target.Name} {l.Location}")
            .ToList();
        return offending.Count == 0
            ? TargetPart.InPlace($"no live leaf of {report.Leaves.Count} needs {issuer?.Id ?? root.Id}")
            : new TargetPart(false, $"{offending.Count} live leaf/leaves need {issuer?.Id ?? root.Id}", Unsafe: [.. offending.Take(Examples)], UnsafeCount: offending.Count);
    }

    /// <summary>What <paramref name="target"/> holds against what the store says it should hold now (<see cref="DriftGate"/>).</summary>
    public static async Task<TargetPart> DriftOnAsync(StepContext context, IRotationTarget target, CancellationToken cancellationToken)
    {
        TargetContent content;
        try
        {
            content = await target.ReadContentAsync(cancellationToken);
        }
        catch (TargetUnavailableException ex)
        {
            var reason = DriftGate.CannotRead(target.Name, ex.Reason);
            return new TargetPart(false, reason, CannotRead: reason);
        }

        var findings = DriftGate.Findings(content, DriftExpectation.During(context.Record, context.Material.Inventory), context.Material.Inventory);
        return findings.Count == 0
            ? TargetPart.InPlace("holds what the store expects")
            : new TargetPart(false, findings[0], Drift: findings[0], DriftCount: findings.Count);
    }

    /// <summary>Both parts of a check round on one target, for a step that checks evidence and drift in the same read round.</summary>
    public static TargetPart Combine(TargetPart? evidence, TargetPart? drift) => (evidence, drift) switch
    {
        (null, null) => TargetPart.InPlace("nothing to check"),
        ({ } e, null) => e,
        (null, { } d) => d,
        ({ } e, { } d) => e with
        {
            Done = e.Done && d.Done,
            Detail = e.Done && !d.Done ? d.Detail : e.Detail,
            CannotRead = d.CannotRead,
            Drift = d.Drift,
            DriftCount = d.DriftCount,
        },
    };

    /// <summary>
    /// A check round over the estate, decided: a target that could not answer holds (<paramref name="cannotConfirm"/>
    /// names what could not be confirmed), an unsafe finding refuses (<paramref name="refusal"/> words it from the count
    /// and examples), then <paramref name="recorded"/> (leaves Rotation issued itself) may hold, then drift refuses.
    /// Null when the writes may go ahead.
    /// </summary>
    public static PhaseRound? ReduceChecks(
        IReadOnlyList<TargetResult<TargetPart>> parts,
        string? cannotConfirm,
        Func<int, string, string> refusal,
        Func<PhaseOutcome.Holding?>? recorded = null)
    {
        if (parts.FirstOrDefault(p => p.Value is null) is { } unavailable)
        {
            return PhaseRound.Holding(cannotConfirm is null
                ? DriftGate.CannotRead(unavailable.Target, unavailable.Error)
                : $"{cannotConfirm}: {unavailable.Target} unavailable: {unavailable.Error}");
        }

        if (parts.FirstOrDefault(p => p.Value!.Hold is not null) is { } holding)
        {
            return PhaseRound.Holding($"{cannotConfirm ?? "cannot confirm the write is safe"}: {holding.Target}: {holding.Value!.Hold}");
        }

        var unsafeCount = parts.Sum(p => p.Value!.UnsafeCount);
        if (unsafeCount > 0)
        {
            var examples = parts.SelectMany(p => p.Value!.Unsafe ?? []).Take(Examples);
            throw new UnsafeStepException(refusal(unsafeCount, string.Join(", ", examples)));
        }

        if (recorded?.Invoke() is { } recordedHold)
        {
            return new PhaseRound.Finished(recordedHold);
        }

        if (parts.FirstOrDefault(p => p.Value!.CannotRead is not null) is { } unreadable)
        {
            return PhaseRound.Holding(unreadable.Value!.CannotRead!);
        }

        return DriftRefusal(parts);
    }

    /// <summary>Refuses on the first drift finding of the round; null when there is none.</summary>
    public static PhaseRound? DriftRefusal(IReadOnlyList<TargetResult<TargetPart>> parts)
    {
        var drifted = parts.Where(p => p.Value?.Drift is not null).ToList();
        if (drifted.Count == 0)
        {
            return null;
        }

        throw DriftGate.Refusal(drifted[0].Value!.Drift!, drifted.Sum(p => p.Value!.DriftCount));
    }
}
