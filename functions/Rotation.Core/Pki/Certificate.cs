using System.Security.Cryptography.X509Certificates;

namespace Rotation.Core.Pki;

/// <summary>
/// An immutable X.509 certificate, held as DER, with the fields Rotation reasons about parsed once.
/// Equality is by SHA-256 fingerprint.
/// </summary>
public sealed partial class Certificate : IEquatable<Certificate>
{
    /// <summary>Parses DER. Throws <see cref="PkiException"/> when the bytes are not a certificate.</summary>
    public static Certificate FromDer(ReadOnlySpan<byte> der) => throw new NotImplementedException();

    /// <summary>Parses exactly one PEM certificate. Throws <see cref="PkiException"/> otherwise.</summary>
    public static Certificate FromPem(string pem) => throw new NotImplementedException();

    public ReadOnlyMemory<byte> Der => throw new NotImplementedException();

    /// <summary>RFC 4514-ish subject, e.g. "CN=Root A,O=mesh.example.internal".</summary>
    public string Subject => throw new NotImplementedException();
    public string Issuer => throw new NotImplementedException();

    /// <summary>Serial number, lowercase hex.</summary>
    public string SerialNumber => throw new NotImplementedException();
    public DateTimeOffset NotBefore => throw new NotImplementedException();
    public DateTimeOffset NotAfter => throw new NotImplementedException();

    /// <summary>SHA-256 of the DER, lowercase hex without separators.</summary>
    public string Sha256 => throw new NotImplementedException();

    /// <summary>basicConstraints CA:TRUE.</summary>
    public bool IsCa => throw new NotImplementedException();

    /// <summary>basicConstraints pathLenConstraint, null when absent.</summary>
    public int? PathLength => throw new NotImplementedException();

    public bool HasKeyCertSign => throw new NotImplementedException();
    public bool IsSelfSigned => throw new NotImplementedException();

    /// <summary>Subject key identifier, lowercase hex; null when absent.</summary>
    public string? SubjectKeyId => throw new NotImplementedException();

    /// <summary>Authority key identifier (keyIdentifier field), lowercase hex; null when absent.</summary>
    public string? AuthorityKeyId => throw new NotImplementedException();

    public IReadOnlyList<string> DnsNames => throw new NotImplementedException();
    public IReadOnlyList<string> UriNames => throw new NotImplementedException();
    public bool HasServerAuth => throw new NotImplementedException();
    public bool HasClientAuth => throw new NotImplementedException();

    public KeyAlgorithm KeyAlgorithm => throw new NotImplementedException();

    public TimeSpan Lifetime => NotAfter - NotBefore;

    /// <summary>True when <paramref name="issuer"/>'s key verifies this certificate's signature.</summary>
    public bool IsSignedBy(Certificate issuer) => throw new NotImplementedException();

    public string ToPem() => throw new NotImplementedException();

    /// <summary>The BCL form, without a private key (for SslStream trust stores).</summary>
    public X509Certificate2 ToX509Certificate2() => throw new NotImplementedException();

    public bool Equals(Certificate? other) => other is not null && other.Sha256 == Sha256;
    public override bool Equals(object? obj) => Equals(obj as Certificate);
    public override int GetHashCode() => Sha256.GetHashCode(StringComparison.Ordinal);
    public override string ToString() => $"{Subject} (sha256 {Sha256[..16]}…, until {NotAfter:u})";
}
