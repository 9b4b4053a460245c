using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations.Engine;

namespace Rotation.Core.Rotations.Drift;

/// <summary>
/// Rotation writes only where it knows what is there. Before a rotation starts, on every cluster check, and right
/// before every write, each target's current content (<see cref="IRotationTarget.ReadContentAsync"/>) is compared with
/// what the domain's store says it should hold (<see cref="DriftExpectation"/>). A root or issuer the domain does not
/// know, a known one that does not belong there now, or a missing one is drift: the write is refused (exit 3) and
/// nothing changes. The way out is to bring what is there under management (<c>rotation adopt --from-cluster</c>).
/// </summary>
public static class DriftGate
{
    /// <summary>Every discrepancy between <paramref name="content"/> and <paramref name="expected"/>, one line each; empty when none.</summary>
    public static IReadOnlyList<string> Findings(TargetContent content, DriftExpectation expected, CaInventory inventory)
    {
        var findings = new List<string>();
        var cluster = content.Cluster;
        foreach (var held in content.Trust)
        {
            if (held.Roots is null)
            {
                if (held.MayBeAbsent && held.Problem == "absent")
                    continue;
                findings.Add($"cluster '{cluster}' {held.Location} is {held.Problem ?? "absent"}, but trust domain '{inventory.Domain}' expects {Describe(expected.Bundles[0], inventory)} there {expected.When}: {Remedy(cluster, inventory)}");
                continue;
            }

            var found = held.Roots.Select(r => r.Sha256).ToHashSet(StringComparer.Ordinal);
            if (expected.Bundles.Any(b => b.SetEquals(found)))
                continue;

            var unknown = held.Roots.Where(r => inventory.Authorities.All(a => a.Sha256 != r.Sha256)).ToList();
            if (unknown.Count > 0)
            {
                findings.Add($"cluster '{cluster}' {held.Location} holds root {Fingerprint(unknown[0])} ({unknown[0].Subject}){More(unknown.Count)} that trust domain '{inventory.Domain}' does not know: Rotation will not overwrite trust it does not own; {Remedy(cluster, inventory)}");
                continue;
            }

            var missing = expected.Bundles[0].Where(f => !found.Contains(f)).ToList();
            var unexpected = found.Where(f => expected.Bundles.All(b => !b.Contains(f))).ToList();
            var what = unexpected.Count > 0
                ? $"holds root {Label(unexpected[0], inventory)}, which does not belong there {expected.When}"
                : $"lacks root {Label(missing.FirstOrDefault() ?? expected.Bundles.SelectMany(b => b).First(f => !found.Contains(f)), inventory)}";
            findings.Add($"cluster '{cluster}' {held.Location} {what} (found {Describe(found, inventory)}, expected {string.Join(" or ", expected.Bundles.Select(b => Describe(b, inventory)))}): {Remedy(cluster, inventory)}");
        }

        if (content.Issuer is { } issuer)
        {
            var certificate = issuer.Certificate;
            if (certificate is null)
            {
                findings.Add($"cluster '{cluster}' {issuer.Location} is {issuer.Problem ?? "absent"}, but trust domain '{inventory.Domain}' expects issuer {string.Join(" or ", expected.Issuers.Select(f => Label(f, inventory)))} there {expected.When}: {Remedy(cluster, inventory)}");
            }
            else if (!expected.Issuers.Contains(certificate.Sha256))
            {
                var known = inventory.Authorities.FirstOrDefault(a => a.Sha256 == certificate.Sha256);
                findings.Add(known is null
                    ? $"cluster '{cluster}' {issuer.Location} holds issuer {Fingerprint(certificate)} ({certificate.Subject}) that trust domain '{inventory.Domain}' does not know: Rotation will not replace an issuer it does not own; {Remedy(cluster, inventory)}"
                    : $"cluster '{cluster}' {issuer.Location} holds issuer {known.Id} ({known.Status.ToString().ToLowerInvariant()}), expected {string.Join(" or ", expected.Issuers.Select(f => Label(f, inventory)))} {expected.When}: {Remedy(cluster, inventory)}");
            }
        }

        return findings;
    }

    /// <summary>
    /// Reads every target and refuses (<see cref="UnsafeStepException"/>) on the first drift found. Returns a reason to
    /// hold when some target could not be read (could not look is not looked and found nothing), else null.
    /// </summary>
    public static async Task<string?> EnsureAsync(
        IReadOnlyList<IRotationTarget> targets,
        DriftExpectation expected,
        CaInventory inventory,
        int maxConcurrency,
        CancellationToken cancellationToken)
    {
        var contents = await TargetFanOut.RunAsync(targets, (t, ct) => t.ReadContentAsync(ct), maxConcurrency, cancellationToken);
        if (contents.FirstOrDefault(c => c.Value is null) is { } unreadable)
            return CannotRead(unreadable.Target, unreadable.Error);

        var findings = contents.SelectMany(c => Findings(c.Value!, expected, inventory)).ToList();
        if (findings.Count > 0)
            throw Refusal(findings[0], findings.Count);
        return null;
    }

    /// <summary>The hold when a target's content could not be read before a write.</summary>
    public static string CannotRead(string target, string? error) => $"cannot read what {target} holds before writing to it: {error}";

    /// <summary>The refusal for drift: the first finding, and how many there were in all.</summary>
    public static UnsafeStepException Refusal(string first, int findings) =>
        new($"drift: {first}{(findings > 1 ? $" (and {findings - 1} more finding(s))" : "")}");

    public static string Fingerprint(Certificate certificate) => $"sha256:{certificate.Sha256}";

    private static string Remedy(string cluster, CaInventory inventory) =>
        $"bring what the cluster holds under management with 'rotation adopt --from-cluster {cluster} --domain {inventory.Domain}', or restore the domain's material there; nothing was changed";

    private static string Label(string sha256, CaInventory inventory) =>
        inventory.Authorities.FirstOrDefault(a => a.Sha256 == sha256) is { } ca ? $"{ca.Id} ({ca.Status.ToString().ToLowerInvariant()})" : $"sha256:{sha256}";

    private static string Describe(IEnumerable<string> fingerprints, CaInventory inventory) =>
        "{" + string.Join(", ", fingerprints.Select(f => inventory.Authorities.FirstOrDefault(a => a.Sha256 == f)?.Id ?? $"sha256:{f[..16]}…")) + "}";

    private static string More(int count) => count > 1 ? $" and {count - 1} more" : "";
}
