using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations.Engine;
using Rotation.Core.Rotations.Evidence;

namespace Rotation.Core.Rotations.Steps;

/// <summary>
/// The engine's own refusals, checked on live evidence right before a dangerous write, whatever the phase order
/// says. They turn an outage into an <see cref="UnsafeStepException"/>. Evidence that cannot be gathered holds the
/// step instead (returned as a reason), because "could not look" is not "looked and found nothing".
/// </summary>
public static class SafetyChecks
{
    private const int Examples = 3;

    /// <summary>Refuses to issue from <paramref name="issuer"/> while some trust store lacks its root.</summary>
    public static async Task<string?> EnsureRootTrustedEverywhereAsync(StepContext context, CertificateAuthority issuer, CertificateAuthority root, CancellationToken cancellationToken)
    {
        var reports = await TargetFanOut.RunAsync(context.Targets, (t, ct) => t.ReportTrustAsync(ct), context.MaxTargetConcurrency, cancellationToken);
        if (reports.FirstOrDefault(r => r.Value is null) is { } unavailable)
        {
            return $"cannot confirm that every trust store holds {root.Id} before issuing from {issuer.Id}: {unavailable.Target} unavailable: {unavailable.Error}";
        }

        var lacking = reports
            .SelectMany(r => r.Value!.Stores.Select(s => (r.Target, Store: s)))
            .Where(x => !x.Store.Sha256Fingerprints.Contains(root.Sha256))
            .Select(x => $"{x.Target} {x.Store.Location}")
            .ToList();
        if (lacking.Count > 0)
        {
            throw new UnsafeStepException(
                $"refusing to issue from {issuer.Id}: {lacking.Count} trust store(s) lack its root {root.Id}, e.g. {string.Join(", ", lacking.Take(Examples))}: distribute the root first (DistributeTrust, VerifyTrust)");
        }

        return null;
    }

    /// <summary>Refuses to drop <paramref name="root"/> (or retire <paramref name="issuer"/>) while an observed leaf still chains to it.</summary>
    public static async Task<string?> EnsureNoLeafChainsToAsync(StepContext context, CertificateAuthority root, CertificateAuthority? issuer, CancellationToken cancellationToken)
    {
        var reports = await TargetFanOut.RunAsync(context.Targets, (t, ct) => t.ReportLeavesAsync(ct), context.MaxTargetConcurrency, cancellationToken);
        if (reports.FirstOrDefault(r => r.Value is null) is { } unavailable)
        {
            return $"cannot confirm that no leaf still chains to {root.Id}: {unavailable.Target} unavailable: {unavailable.Error}";
        }

        if (reports.FirstOrDefault(r => r.Value!.Holds is not null) is { } holding)
        {
            return $"cannot confirm that no leaf still chains to {root.Id}: {holding.Target}: {holding.Value!.Holds}";
        }

        var knownIntermediates = context.Material.Inventory.Authorities.Where(a => a.Role == CaRole.Intermediate).Select(a => a.Certificate).ToList();
        var anchor = TrustBundle.Of(root.Certificate);
        var offending = reports
            .SelectMany(r => r.Value!.Leaves.Select(l => (r.Target, Leaf: l)))
            .Where(x => issuer is null
                ? ChainVerifier.Verify(x.Leaf.Leaf, x.Leaf.Intermediates.Concat(knownIntermediates), anchor, context.Now).IsValid
                : x.Leaf.Leaf.NotAfter > context.Now && LeafVerdictCache.Shared.IsSignedBy(x.Leaf.Leaf, issuer.Certificate))
            .Select(x => $"{x.Target} {x.Leaf.Location}")
            .ToList();
        if (offending.Count > 0)
        {
            var what = issuer is null ? $"drop root {root.Id}" : $"retire {issuer.Id}";
            throw new UnsafeStepException(
                $"refusing to {what}: {offending.Count} live leaf/leaves still chain to it, e.g. {string.Join(", ", offending.Take(Examples))}: wait until leaves have moved to the new CA, or abort");
        }

        return null;
    }
}
