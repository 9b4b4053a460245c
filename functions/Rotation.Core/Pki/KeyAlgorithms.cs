using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;

namespace Rotation.Core.Pki;

/// <summary>Maps BouncyCastle keys to <see cref="KeyAlgorithm"/> and picks the signature each key signs with.</summary>
internal static class KeyAlgorithms
{
    private static readonly ECDomainParameters P256 = new(SecNamedCurves.GetByName("secp256r1"));
    private static readonly ECDomainParameters P384 = new(SecNamedCurves.GetByName("secp384r1"));

    public static KeyAlgorithm? TryOf(AsymmetricKeyParameter key) => key switch
    {
        ECKeyParameters ec when SameCurve(ec.Parameters, P256) => KeyAlgorithm.EcdsaP256,
        ECKeyParameters ec when SameCurve(ec.Parameters, P384) => KeyAlgorithm.EcdsaP384,
        RsaKeyParameters rsa => rsa.Modulus.BitLength switch
        {
            2048 => KeyAlgorithm.Rsa2048,
            3072 => KeyAlgorithm.Rsa3072,
            4096 => KeyAlgorithm.Rsa4096,
            _ => null,
        },
        _ => null,
    };

    public static KeyAlgorithm Of(AsymmetricKeyParameter key, string what) =>
        TryOf(key) ?? throw new PkiException($"unsupported {what} type {Describe(key)}: use ECDSA P-256/P-384 or RSA 2048/3072/4096");

    public static string SignatureAlgorithm(KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.EcdsaP256 => "SHA256WITHECDSA",
        KeyAlgorithm.EcdsaP384 => "SHA384WITHECDSA",
        _ => "SHA256WITHRSA",
    };

    public static bool IsRsa(KeyAlgorithm algorithm) => algorithm is KeyAlgorithm.Rsa2048 or KeyAlgorithm.Rsa3072 or KeyAlgorithm.Rsa4096;

    public static bool SamePublicKey(AsymmetricKeyParameter a, AsymmetricKeyParameter b) => (a, b) switch
    {
        (ECPublicKeyParameters x, ECPublicKeyParameters y) => SameCurve(x.Parameters, y.Parameters) && x.Q.Normalize().Equals(y.Q.Normalize()),
        (RsaKeyParameters x, RsaKeyParameters y) => x.Modulus.Equals(y.Modulus) && x.Exponent.Equals(y.Exponent),
        _ => false,
    };

    private static bool SameCurve(ECDomainParameters a, ECDomainParameters b) =>
        a.Curve.Equals(b.Curve) && a.G.Equals(b.G) && a.N.Equals(b.N);

    private static string Describe(AsymmetricKeyParameter key) => key switch
    {
        RsaKeyParameters rsa => $"RSA-{rsa.Modulus.BitLength}",
        ECKeyParameters ec => $"EC ({ec.Parameters.Curve.FieldSize}-bit curve)",
        _ => key.GetType().Name.Replace("KeyParameters", string.Empty, StringComparison.Ordinal),
    };
}
