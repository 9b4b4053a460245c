using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Rotation.Core.Pki;

/// <summary>A certificate and its private key: a CA that can sign, or a workload's identity.</summary>
public sealed record CertificateWithKey(Certificate Certificate, PrivateKey Key)
{
    /// <summary>Throws <see cref="PkiException"/> when the key is not the certificate's.</summary>
    public static CertificateWithKey Create(Certificate certificate, PrivateKey key) =>
        key.Matches(certificate)
            ? new CertificateWithKey(certificate, key)
            : throw new PkiException($"the private key does not match certificate '{certificate.Subject}': supply the key that was issued with it");

    /// <summary>The BCL form with its private key, for SslStream.</summary>
    public X509Certificate2 ToX509Certificate2WithKey()
    {
        // CreateFromPem gives an ephemeral key; a PKCS#12 round trip yields the form SslStream reliably presents
        // as a client or server identity on every platform. The PFX only lives in memory.
        using var ephemeral = X509Certificate2.CreateFromPem(Certificate.ToPem(), Key.ToPkcs8Pem());
        var pfx = ephemeral.Export(X509ContentType.Pkcs12);
        try
        {
            return X509CertificateLoader.LoadPkcs12(pfx, password: null);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pfx);
        }
    }
}
