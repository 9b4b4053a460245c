using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.X509;
using Org.BouncyCastle.Security;

namespace Rotation.Core.Pki;

/// <summary>A public key, held as SubjectPublicKeyInfo DER: what a custody hands out instead of a private key.</summary>
public sealed class PublicKey : IEquatable<PublicKey>
{
    private readonly byte[] _spki;

    private PublicKey(byte[] spki, AsymmetricKeyParameter key)
    {
        _spki = spki;
        BcPublicKey = key;
        Algorithm = KeyAlgorithms.Of(key, "public key");
    }

    /// <summary>Parses SubjectPublicKeyInfo DER; throws <see cref="PkiException"/> when malformed or of a type Rotation does not use.</summary>
    public static PublicKey FromSubjectPublicKeyInfo(ReadOnlySpan<byte> der)
    {
        var copy = der.ToArray();
        AsymmetricKeyParameter key;
        try
        {
            key = PublicKeyFactory.CreateKey(copy);
        }
        catch (Exception ex) when (ex is not PkiException)
        {
            throw new PkiException("not a valid SubjectPublicKeyInfo: supply a DER-encoded public key", ex);
        }

        return new PublicKey(copy, key);
    }

    public static PublicKey Of(PrivateKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return From(key.BcPublicKey);
    }

    public static PublicKey Of(Certificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return From(certificate.BcPublicKey);
    }

    public static PublicKey Of(CertificateSigningRequest csr)
    {
        ArgumentNullException.ThrowIfNull(csr);
        return From(csr.BcPublicKey);
    }

    public KeyAlgorithm Algorithm { get; }

    public ReadOnlyMemory<byte> SubjectPublicKeyInfo => _spki;

    internal AsymmetricKeyParameter BcPublicKey { get; }

    /// <summary>True when <paramref name="certificate"/> carries this key.</summary>
    public bool Matches(Certificate certificate) => KeyAlgorithms.SamePublicKey(BcPublicKey, certificate.BcPublicKey);

    public bool Equals(PublicKey? other) => other is not null && KeyAlgorithms.SamePublicKey(BcPublicKey, other.BcPublicKey);

    public override bool Equals(object? obj) => Equals(obj as PublicKey);

    public override int GetHashCode() => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(_spki)).GetHashCode(StringComparison.Ordinal);

    public override string ToString() => $"PublicKey({Algorithm.ToName()}, sha256 {Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(_spki))[..16]}…)";

    internal static PublicKey From(AsymmetricKeyParameter key) =>
        new(SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(key).GetDerEncoded(), key);
}
