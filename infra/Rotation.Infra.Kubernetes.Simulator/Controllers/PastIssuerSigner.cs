using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;
using Org.BouncyCastle.X509.Extension;
using Rotation.Core.Pki;

namespace Rotation.Infra.Kubernetes.Simulator.Controllers;

/// <summary>
/// Re-signs a certificate with a later notAfter than its issuer's, which Rotation's PKI refuses to mint
/// (IssuerChecks) but cert-manager does: cert-manager/cert-manager 2d0d7f7f pkg/util/pki/certificatetemplate.go
/// CertificateTemplateOverrideDuration sets notAfter = now + duration, and pkg/util/pki/csr.go SignCertificate /
/// SignCSRTemplate sign that template as is, with no cap at the CA's notAfter. Everything but notAfter (serial, names,
/// key, extensions) is copied from the certificate Rotation's factory minted within the issuer's validity.
/// </summary>
internal static class PastIssuerSigner
{
    public static Certificate WithNotAfter(Certificate minted, CertificateWithKey issuer, DateTimeOffset notAfter)
    {
        var source = new X509CertificateParser().ReadCertificate(minted.Der.ToArray());
        var generator = new X509V3CertificateGenerator();
        generator.SetSerialNumber(source.SerialNumber);
        generator.SetIssuerDN(source.IssuerDN);
        generator.SetSubjectDN(source.SubjectDN);
        generator.SetNotBefore(source.NotBefore);
        generator.SetNotAfter(notAfter.UtcDateTime);
        generator.SetPublicKey(source.GetPublicKey());
        foreach (var (oids, critical) in new[] { (source.GetCriticalExtensionOids(), true), (source.GetNonCriticalExtensionOids(), false) })
        {
            foreach (var oid in oids ?? (ISet<string>)new HashSet<string>())
            {
                generator.AddExtension(oid, critical, X509ExtensionUtilities.FromExtensionValue(source.GetExtensionValue(new Org.BouncyCastle.Asn1.DerObjectIdentifier(oid))));
            }
        }

        var algorithm = issuer.Key.Algorithm switch
        {
            KeyAlgorithm.EcdsaP256 => "SHA256WITHECDSA",
            KeyAlgorithm.EcdsaP384 => "SHA384WITHECDSA",
            _ => "SHA256WITHRSA",
        };
        var signed = generator.Generate(new Asn1SignatureFactory(algorithm, PrivateKeyFactory.CreateKey(issuer.Key.ExportPkcs8Der())));
        return Certificate.FromDer(signed.GetEncoded());
    }
}
