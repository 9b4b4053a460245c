using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Rotation.Core.Pki;

namespace Rotation.Testing;

/// <summary>CRLs signed at run time with .NET's CertificateRevocationListBuilder (ECDSA issuers), as PEM "X509 CRL" blocks.</summary>
public static class TestCrls
{
    public static string SignedBy(params CertificateWithKey[] issuers) =>
        string.Concat(issuers.Select(One));

    private static string One(CertificateWithKey issuer)
    {
        using var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(issuer.Key.ExportPkcs8Der(), out _);
        using var certificate = issuer.Certificate.ToX509Certificate2();
        using var withKey = certificate.CopyWithPrivateKey(key);
        var builder = new CertificateRevocationListBuilder();
        var der = builder.Build(withKey, BigInteger.One, DateTimeOffset.UtcNow.AddDays(7), HashAlgorithmName.SHA256, thisUpdate: DateTimeOffset.UtcNow.AddMinutes(-1));
        return PemEncoding.WriteString("X509 CRL", der) + "\n";
    }
}
