using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace Rotation.Core.Pki;

/// <summary>
/// An immutable X.509 certificate, held as DER, with the fields Rotation reasons about parsed once.
/// Equality is by SHA-256 fingerprint.
/// </summary>
public sealed partial class Certificate : IEquatable<Certificate>
{
    private readonly byte[] _der;
    private readonly BcCertificate _bc;
    private readonly CertificateExtensions _extensions;
    private readonly Lazy<bool> _isSelfSigned;
    private readonly Lazy<KeyAlgorithm?> _keyAlgorithm;

    private Certificate(byte[] der, BcCertificate bc)
    {
        _der = der;
        _bc = bc;
        _extensions = CertificateExtensions.Read(bc);
        Subject = bc.SubjectDN.ToString();
        Issuer = bc.IssuerDN.ToString();
        SerialNumber = bc.SerialNumber.ToString(16).ToLowerInvariant();
        NotBefore = ToOffset(bc.NotBefore);
        NotAfter = ToOffset(bc.NotAfter);
        Sha256 = Convert.ToHexStringLower(SHA256.HashData(der));
        BcPublicKey = bc.GetPublicKey();
        _isSelfSigned = new Lazy<bool>(() => bc.SubjectDN.Equivalent(bc.IssuerDN, true) && IsSignedBy(this));
        _keyAlgorithm = new Lazy<KeyAlgorithm?>(() => KeyAlgorithms.TryOf(BcPublicKey));
    }

    /// <summary>Parses DER. Throws <see cref="PkiException"/> when the bytes are not a certificate.</summary>
    public static Certificate FromDer(ReadOnlySpan<byte> der)
    {
        var copy = der.ToArray();
        try
        {
            var structure = X509CertificateStructure.GetInstance(Asn1Object.FromByteArray(copy));
            var bc = new BcCertificate(structure);
            // Touch the public key now so a certificate we cannot use fails here, not deep inside a verification.
            _ = bc.GetPublicKey();
            return new Certificate(copy, bc);
        }
        catch (Exception ex) when (ex is not PkiException)
        {
            throw new PkiException($"not a valid X.509 certificate ({ex.Message.Split('\n')[0].Trim()}): supply a DER or PEM certificate", ex);
        }
    }

    /// <summary>Parses exactly one PEM certificate. Throws <see cref="PkiException"/> otherwise.</summary>
    public static Certificate FromPem(string pem)
    {
        var certificates = Pem.ReadCertificates(pem, "certificate");
        return certificates.Count == 1
            ? certificates[0]
            : throw new PkiException($"certificate: expected exactly one PEM certificate, found {certificates.Count}; pass a single certificate or read it as a bundle");
    }

    public ReadOnlyMemory<byte> Der => _der;

    /// <summary>RFC 4514-ish subject, e.g. "CN=Root A,O=mesh.example.internal".</summary>
    public string Subject { get; }
    public string Issuer { get; }

    /// <summary>Serial number, lowercase hex.</summary>
    public string SerialNumber { get; }
    public DateTimeOffset NotBefore { get; }
    public DateTimeOffset NotAfter { get; }

    /// <summary>SHA-256 of the DER, lowercase hex without separators.</summary>
    public string Sha256 { get; }

    /// <summary>basicConstraints CA:TRUE.</summary>
    public bool IsCa => _extensions.IsCa;

    /// <summary>basicConstraints pathLenConstraint, null when absent.</summary>
    public int? PathLength => _extensions.PathLength;

    /// <summary>
    /// keyUsage allows keyCertSign. A certificate without a keyUsage extension is unrestricted (RFC 5280 4.2.1.3,
    /// and how openssl validates), so existing CAs minted by `openssl req -x509` without keyUsage still count.
    /// </summary>
    public bool HasKeyCertSign => _extensions.KeyUsage is null || (_extensions.KeyUsage.Value & KeyUsage.KeyCertSign) != 0;

    /// <summary>True when the certificate carries a keyUsage extension at all.</summary>
    public bool HasKeyUsageExtension => _extensions.KeyUsage is not null;

    /// <summary>Subject and issuer are the same name and the certificate's own key verifies its signature.</summary>
    public bool IsSelfSigned => _isSelfSigned.Value;

    /// <summary>Subject key identifier, lowercase hex; null when absent.</summary>
    public string? SubjectKeyId => _extensions.SubjectKeyId;

    /// <summary>Authority key identifier (keyIdentifier field), lowercase hex; null when absent.</summary>
    public string? AuthorityKeyId => _extensions.AuthorityKeyId;

    public IReadOnlyList<string> DnsNames => _extensions.DnsNames;
    public IReadOnlyList<string> UriNames => _extensions.UriNames;

    /// <summary>True when the certificate has an extendedKeyUsage extension (then only the listed purposes are allowed).</summary>
    public bool HasExtendedKeyUsage => _extensions.ExtendedKeyUsages is not null;
    public bool HasServerAuth => _extensions.ExtendedKeyUsages?.Contains(KeyPurposeID.id_kp_serverAuth.Id) == true;
    public bool HasClientAuth => _extensions.ExtendedKeyUsages?.Contains(KeyPurposeID.id_kp_clientAuth.Id) == true;

    /// <summary>Throws <see cref="PkiException"/> for keys Rotation does not mint (e.g. a foreign RSA-1024 root in a bundle).</summary>
    public KeyAlgorithm KeyAlgorithm => _keyAlgorithm.Value ?? KeyAlgorithms.Of(BcPublicKey, $"key of certificate '{Subject}'");

    public TimeSpan Lifetime => NotAfter - NotBefore;

    internal BcCertificate Bc => _bc;
    internal AsymmetricKeyParameter BcPublicKey { get; }
    internal CertificateExtensions Extensions => _extensions;

    /// <summary>True when <paramref name="issuer"/>'s key verifies this certificate's signature.</summary>
    public bool IsSignedBy(Certificate issuer)
    {
        try
        {
            return _bc.IsSignatureValid(issuer.BcPublicKey);
        }
        catch (Exception ex) when (ex is GeneralSecurityException or SecurityUtilityException or ArgumentException or InvalidCastException or CryptoException)
        {
            // A key of the wrong type or a mangled signature cannot verify: that is a "no", not an error.
            return false;
        }
    }

    public string ToPem() => PemText.Write("CERTIFICATE", _der);

    /// <summary>The BCL form, without a private key (for SslStream trust stores).</summary>
    public X509Certificate2 ToX509Certificate2() => X509CertificateLoader.LoadCertificate(_der);

    public bool Equals(Certificate? other) => other is not null && other.Sha256 == Sha256;
    public override bool Equals(object? obj) => Equals(obj as Certificate);
    public override int GetHashCode() => Sha256.GetHashCode(StringComparison.Ordinal);
    public override string ToString() => $"{Subject} (sha256 {Sha256[..16]}…, until {NotAfter:u})";

    private static DateTimeOffset ToOffset(DateTime value) =>
        new(DateTime.SpecifyKind(value.ToUniversalTime(), DateTimeKind.Utc));
}
