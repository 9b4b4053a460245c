using Rotation.Core.Expiry;
using Rotation.Core.Pki;

namespace Rotation.Core.Authorities.External;

/// <summary>
/// The layer a certificate Rotation does not manage is judged as, read from the certificate itself and from the others
/// seen beside it (a bundle file, or everything one cluster holds):
/// <list type="bullet">
/// <item>not a CA (no basicConstraints CA:TRUE): <see cref="CertificateLayer.Workload"/>;</item>
/// <item>a self-signed CA: <see cref="CertificateLayer.Root"/>;</item>
/// <item>any other CA that signs another CA in view (and whose pathLenConstraint is not 0):
/// <see cref="CertificateLayer.Intermediate"/>;</item>
/// <item>any other CA (one that signs only leaves in view, or nothing in view, or has pathLen 0):
/// <see cref="CertificateLayer.IssuingCa"/>. A CA seen alone is taken to be the issuing one, because that is what
/// mesh CA objects hold (Istio's ca-cert.pem, Linkerd's issuer, a cert-manager CA secret); a mid-tier intermediate is
/// recognised once its child CA is in view (Istio's cert-chain.pem carries it).</item>
/// </list>
/// </summary>
public static class CertificateLayers
{
    /// <summary>The layer of each certificate, by SHA-256.</summary>
    public static IReadOnlyDictionary<string, CertificateLayer> Classify(IEnumerable<Certificate> certificates)
    {
        var distinct = certificates.DistinctBy(c => c.Sha256).ToList();
        var childCas = distinct.Where(c => c.IsCa && !c.IsSelfSigned).ToList();
        return distinct.ToDictionary(c => c.Sha256, c => LayerOf(c, childCas), StringComparer.Ordinal);
    }

    private static CertificateLayer LayerOf(Certificate certificate, IReadOnlyList<Certificate> childCas)
    {
        if (!certificate.IsCa)
            return CertificateLayer.Workload;
        if (certificate.IsSelfSigned)
            return CertificateLayer.Root;
        if (certificate.PathLength == 0)
            return CertificateLayer.IssuingCa;
        return childCas.Any(child => !child.Equals(certificate) && child.Issuer == certificate.Subject && child.IsSignedBy(certificate))
            ? CertificateLayer.Intermediate
            : CertificateLayer.IssuingCa;
    }
}
