using Rotation.Core.Pki;

namespace Rotation.Core.Authorities.Istio;

/// <summary>
/// Decides the bytes of cacerts' root-cert.pem, and whether the running istiod loads them in place (see
/// <see cref="IstiodReloadRule"/> for the per-release watcher rules, read from pilot/pkg/bootstrap/istio_ca.go).
///
/// An issuer switch under an unchanged root set keeps root-cert.pem byte-for-byte: in every GA release equal bytes go
/// on to UpdateVerifiedKeyCertBundleFromFile (VerifyAndSetAll), so the new ca-cert.pem, ca-key.pem and cert-chain.pem
/// load in place without a restart. Only 1.27.0-beta.0 and 1.27.0-rc.0 returned early on equal bytes ("No changes
/// detected in root cert or CRL file data, skipping update"); for those the plan changes the bytes while staying
/// related: it appends the issuer's root once more (the A+B+B of the published four-phase procedure, which was
/// written against that behaviour) or drops a duplicate already there.
///
/// When roots are added, the existing text is kept byte-for-byte and the new blocks appended (a superset and a
/// superstring: every release from 1.20 with multi-root on accepts it). When roots are removed, the kept blocks are
/// cut from the existing text: a substring when they are adjacent (1.20–1.29), always a subset (1.30+). When istiod's
/// rule cannot be met (multi-root off, istiod ≤ 1.19, non-adjacent removal before 1.30, roots added and removed at
/// once) the plan says so and the target restarts istiod instead, which loads the whole secret at start.
/// Rotation's <see cref="TrustBundle"/> is a set; this class is where Istio's byte rules live.
/// </summary>
public sealed record IstioRootCertPlan(string Text, bool IstiodReloads, string Reason)
{
    public static IstioRootCertPlan For(string? currentText, TrustBundle desired, bool issuerChanges, Certificate issuerRoot, IstiodReloadRule rule)
    {
        var current = currentText ?? string.Empty;
        if (current.Length == 0)
            return new IstioRootCertPlan(desired.ToPem(), false, "cacerts had no root-cert.pem, so istiod runs no plug-in CA and does not watch cacerts");

        var blocks = PemBlocks.Of(current);
        var currentSet = blocks.Select(b => b.Certificate.Sha256).ToHashSet();
        var desiredSet = desired.Fingerprints.ToHashSet();

        string text;
        if (currentSet.SetEquals(desiredSet))
        {
            if (!issuerChanges || !rule.SkipsEqualBytes)
                return new IstioRootCertPlan(current, true, "root-cert.pem unchanged: istiod reloads ca-cert.pem, ca-key.pem and cert-chain.pem in place");
            if (!rule.MultiRoot)
                return new IstioRootCertPlan(current, false, $"istiod {rule.Version} skips equal root-cert.pem bytes and refuses changed ones without multi-root");
            var distinct = DistinctBlocks(blocks);
            text = distinct.Count < blocks.Count && current.Contains(Concat(distinct), StringComparison.Ordinal)
                ? Concat(distinct)
                : WithNewline(current) + Pem.WriteCertificates([issuerRoot]);
        }
        else
        {
            var added = desired.Where(c => !currentSet.Contains(c.Sha256)).ToList();
            var removedAny = currentSet.Any(f => !desiredSet.Contains(f));
            if (!removedAny)
                text = WithNewline(current) + Pem.WriteCertificates(added);
            else if (added.Count == 0)
                text = Concat(DistinctBlocks(blocks.Where(b => desiredSet.Contains(b.Certificate.Sha256)).ToList()));
            else
                text = desired.ToPem();
        }

        var refusal = rule.Refusal(current, text);
        return refusal is null
            ? new IstioRootCertPlan(text, true, rule.Describe())
            : new IstioRootCertPlan(text, false, $"istiod {rule.Version} would log \"{refusal}\" and keep the old CA");
    }

    private static List<PemBlocks.Block> DistinctBlocks(IReadOnlyList<PemBlocks.Block> blocks) =>
        blocks.DistinctBy(b => b.Certificate.Sha256).ToList();

    private static string Concat(IEnumerable<PemBlocks.Block> blocks) => string.Concat(blocks.Select(b => WithNewline(b.Text)));

    private static string WithNewline(string text) => text.EndsWith('\n') ? text : text + "\n";
}
