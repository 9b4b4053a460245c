using Rotation.Core.Pki;

namespace Rotation.Infra.Kubernetes.Simulator.Controllers;

/// <summary>
/// cert-manager's chain rules for the CA issuer, ported from cert-manager/cert-manager at 2d0d7f7f
/// (after v1.21.1):
/// <list type="bullet">
/// <item>pkg/util/kube/pki.go SecretTLSKeyPairAndCA: the signing chain is the issuer secret's tls.crt plus only
/// the FIRST certificate of its ca.crt (pki.DecodeX509CertificateBytes returns certs[0], pkg/util/pki/parse.go).</item>
/// <item>pkg/util/pki/csr.go SignCSRTemplate: the leaf is signed by chain[0], then
/// ParseSingleCertificateChain(caCerts + leaf) must build one chain.</item>
/// <item>pkg/util/pki/parse_certificate_chain.go ParseSingleCertificateChain / toBundleAndCA: certificates are
/// de-duplicated, glued child→parent by signature; when they do not form a single chain the error is
/// "certificate chain is malformed or broken". ChainPEM runs from the leaf up to the highest certificate that is
/// not self-signed (a self-signed root is left out); CAPEM is the top of the chain (the root when there is one).</item>
/// </list>
/// </summary>
public static class CertManagerChain
{
    public const string BrokenChain = "certificate chain is malformed or broken";

    /// <summary>The signing chain the CA issuer uses: tls.crt, then certs[0] of ca.crt when ca.crt is present.</summary>
    public static IReadOnlyList<Certificate> SigningChain(string tlsCrtPem, string? caCrtPem, string what)
    {
        var chain = Pem.ReadCertificates(tlsCrtPem, $"{what} tls.crt").ToList();
        if (!string.IsNullOrWhiteSpace(caCrtPem))
        {
            chain.Add(Pem.ReadCertificates(caCrtPem, $"{what} ca.crt")[0]);
        }

        return chain;
    }

    /// <summary>Builds the single chain from <paramref name="certificates"/> (any order) or throws <see cref="PkiException"/> with upstream's message.</summary>
    public static (string ChainPem, string? CaPem) ParseSingleCertificateChain(IEnumerable<Certificate> certificates)
    {
        var unique = certificates.DistinctBy(c => c.Sha256).ToList();
        var chains = unique.Select(c => new List<Certificate> { c }).ToList();
        while (chains.Count > 1)
        {
            var last = chains[^1];
            chains.RemoveAt(chains.Count - 1);
            var merged = false;
            for (var i = 0; i < chains.Count; i++)
            {
                var other = chains[i];
                if (Issues(last[0], other[^1]))
                {
                    // last's head signed other's top: other then last.
                    chains[i] = [.. other, .. last];
                    merged = true;
                    break;
                }

                if (Issues(other[0], last[^1]))
                {
                    chains[i] = [.. last, .. other];
                    merged = true;
                    break;
                }
            }

            if (!merged)
            {
                throw new PkiException(BrokenChain);
            }
        }

        var chain = chains[0];
        var top = chain[^1];
        var included = chain.Take(chain.Count - 1).ToList();
        if (included.Count > 0 && !top.IsSelfSigned)
        {
            included.Add(top);
        }

        if (included.Count == 0)
        {
            return (top.ToPem(), top.IsSelfSigned ? top.ToPem() : null);
        }

        return (string.Concat(included.Select(c => c.ToPem())), top.ToPem());
    }

    /// <summary>tryMergeChain: <paramref name="parent"/> issued <paramref name="child"/> (issuer name and signature).</summary>
    private static bool Issues(Certificate parent, Certificate child) =>
        !ReferenceEquals(parent, child) && child.Issuer == parent.Subject && child.IsSignedBy(parent);
}
