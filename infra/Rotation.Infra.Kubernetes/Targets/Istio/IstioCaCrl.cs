using Org.BouncyCastle.X509;
using Rotation.Core.Pki;

namespace Rotation.Infra.Kubernetes.Targets.Istio;

/// <summary>
/// istiod's check of cacerts' ca-crl.pem. With PILOT_ENABLE_CA_CRL (default true, since 1.27.0: 7359d8be,
/// pilot/pkg/features/pilot.go) istiod reads ca-crl.pem when it exists (pilot/pkg/bootstrap/istio_ca.go,
/// detectSigningCABundleAndCRL) and every load goes through VerifyAndSetAll → Verify
/// (security/pkg/pki/util/keycertbundle.go at 1.30.0 badd809e): each certificate of cert-chain.pem must have signed
/// one of the CRLs, otherwise "missing CRL signed by certificates: …" and istiod keeps the old CA with that one log
/// line. Rotation does not sign CRLs, so a ca-crl.pem left in cacerts makes every issuer switch fail silently.
/// </summary>
public static class IstioCaCrl
{
    public const string Key = "ca-crl.pem";
    public const string EnableEnv = "PILOT_ENABLE_CA_CRL";

    /// <summary>Subjects of the certificates in <paramref name="chain"/> that signed none of the CRLs (all of them when unreadable).</summary>
    public static IReadOnlyList<string> UnsignedBy(string crlPem, IReadOnlyList<Certificate> chain)
    {
        IReadOnlyList<X509Crl> crls;
        try
        {
            crls = new X509CrlParser().ReadCrls(System.Text.Encoding.ASCII.GetBytes(crlPem)).ToList();
        }
#pragma warning disable CA1031 // Whatever BouncyCastle throws on a garbled CRL, istiod would refuse it too.
        catch (Exception)
#pragma warning restore CA1031
        {
            crls = [];
        }

        var missing = new List<string>();
        foreach (var certificate in chain)
        {
            var key = new X509CertificateParser().ReadCertificate(certificate.Der.ToArray()).GetPublicKey();
            if (!crls.Any(crl => SignedBy(crl, key)))
                missing.Add(certificate.Subject);
        }

        return missing;
    }

    private static bool SignedBy(X509Crl crl, Org.BouncyCastle.Crypto.AsymmetricKeyParameter key)
    {
        try
        {
            crl.Verify(key);
            return true;
        }
#pragma warning disable CA1031 // A failed signature check is an answer, not an error.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }
}
