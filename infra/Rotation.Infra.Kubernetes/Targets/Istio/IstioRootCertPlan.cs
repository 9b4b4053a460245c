using Rotation.Core.Pki;
using Rotation.Infra.Kubernetes.Writing;

namespace Rotation.Infra.Kubernetes.Targets.Istio;

/// <summary>
/// Decides the bytes of cacerts' root-cert.pem so that a running istiod picks the change up.
///
/// Why the published procedure writes root B twice (root-cert.pem = A+B+B) when it switches the issuer: istiod's
/// cacerts file watcher (pilot/pkg/bootstrap/istio_ca.go, handleEvent) compares the new root-cert.pem BYTES with
/// the ones it holds. (1) When they differ it accepts them only with ISTIO_MULTIROOT_MESH on and only when one is a
/// byte-substring of the other ("in order to support root ca rotation ... the new CA bundle [must] contain both old and
/// new CA certs"); otherwise it logs "Updating new ROOT-CA not supported" and keeps the old CA. (2) Current releases
/// (since CRL support) return early with "No changes detected in root cert or CRL file data, skipping update" when the
/// bytes are equal, so a new ca-cert.pem/ca-key.pem/cert-chain.pem under an unchanged root-cert.pem is never loaded:
/// istiod keeps signing with the old intermediate until it restarts. Writing A+B again after A+B is exactly that case,
/// so the procedure appends B once more: the bytes change, and A+B+B contains A+B, so the watcher accepts it and loads
/// the new intermediate. The duplicate is harmless: the roots are a set to everyone downstream.
///
/// Rotation's <see cref="TrustBundle"/> deduplicates, so this class handles it explicitly: when the issuer changes
/// and the root set does not, it appends the issuer's root once more (or, when the file already carries a duplicate,
/// drops it, which also changes bytes and stays a substring). When roots are added, the existing text is kept
/// byte-for-byte and the new blocks appended; when roots are removed, the kept blocks are taken from the existing text
/// so the result is a substring of it. When none of this can satisfy istiod's rule (multi-root off, or a removal that
/// leaves non-adjacent blocks) the plan says so and the target restarts istiod instead.
/// </summary>
internal sealed record IstioRootCertPlan(string Text, bool IstiodReloads)
{
    public static IstioRootCertPlan For(string? currentText, TrustBundle desired, bool issuerChanges, Certificate issuerRoot, bool multiRoot)
    {
        var current = currentText ?? string.Empty;
        var blocks = PemText.Blocks(current);
        var currentSet = blocks.Select(b => b.Certificate.Sha256).ToHashSet();
        var desiredSet = desired.Fingerprints.ToHashSet();

        if (current.Length == 0)
            return new IstioRootCertPlan(desired.ToPem(), IstiodReloads: false);

        string text;
        if (currentSet.SetEquals(desiredSet))
        {
            if (!issuerChanges)
                return new IstioRootCertPlan(current, IstiodReloads: true);
            if (!multiRoot)
                return new IstioRootCertPlan(current, IstiodReloads: false);
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

        var related = text.Contains(current, StringComparison.Ordinal) || current.Contains(text, StringComparison.Ordinal);
        return new IstioRootCertPlan(text, multiRoot && related && text != current);
    }

    private static List<PemText.Block> DistinctBlocks(IReadOnlyList<PemText.Block> blocks) =>
        blocks.DistinctBy(b => b.Certificate.Sha256).ToList();

    private static string Concat(IEnumerable<PemText.Block> blocks) => string.Concat(blocks.Select(b => WithNewline(b.Text)));

    private static string WithNewline(string text) => text.EndsWith('\n') ? text : text + "\n";
}
