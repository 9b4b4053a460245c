using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace Rotation.Core.Pki;

/// <summary>
/// A private key, held as PKCS#8. It never prints itself: ToString is redacted so a log line cannot leak it.
/// </summary>
public sealed partial class PrivateKey
{
    private readonly byte[] _pkcs8;
    private readonly AsymmetricKeyParameter _private;
    private readonly AsymmetricKeyParameter _public;

    private PrivateKey(byte[] pkcs8, AsymmetricKeyParameter privateKey, KeyAlgorithm algorithm)
    {
        _pkcs8 = pkcs8;
        _private = privateKey;
        _public = DerivePublic(privateKey);
        Algorithm = algorithm;
    }

    public static PrivateKey Generate(KeyAlgorithm algorithm)
    {
        // The BCL (OpenSSL underneath) generates keys well and fast; BouncyCastle signs with them.
        using AsymmetricAlgorithm key = algorithm switch
        {
            KeyAlgorithm.EcdsaP256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
            KeyAlgorithm.EcdsaP384 => ECDsa.Create(ECCurve.NamedCurves.nistP384),
            KeyAlgorithm.Rsa2048 => RSA.Create(2048),
            KeyAlgorithm.Rsa3072 => RSA.Create(3072),
            KeyAlgorithm.Rsa4096 => RSA.Create(4096),
            _ => throw new PkiException($"unknown key algorithm '{algorithm}': use one of {string.Join(", ", KeyAlgorithmNames.All)}"),
        };
        return FromPkcs8Der(key.ExportPkcs8PrivateKey());
    }

    /// <summary>
    /// Reads a PEM private key: PKCS#8 (plain or encrypted with <paramref name="passphrase"/>), or SEC1/PKCS#1.
    /// Throws <see cref="PkiException"/> on malformed PEM or a wrong passphrase.
    /// </summary>
    public static PrivateKey FromPem(string pem, string? passphrase = null) => PrivateKeyPem.Read(pem, passphrase);

    public static PrivateKey FromPkcs8Der(ReadOnlySpan<byte> der)
    {
        var copy = der.ToArray();
        AsymmetricKeyParameter key;
        try
        {
            key = PrivateKeyFactory.CreateKey(copy);
        }
        catch (Exception ex) when (ex is not PkiException)
        {
            throw new PkiException("the private key is not valid PKCS#8: supply an unencrypted 'PRIVATE KEY' (PKCS#8) key", ex);
        }

        return new PrivateKey(copy, key, KeyAlgorithms.Of(key, "private key"));
    }

    public KeyAlgorithm Algorithm { get; }

    /// <summary>The BouncyCastle form, for signing.</summary>
    internal AsymmetricKeyParameter BcPrivateKey => _private;

    internal AsymmetricKeyParameter BcPublicKey => _public;

    /// <summary>Unencrypted PKCS#8 DER. Callers clear the array when done.</summary>
    public byte[] ExportPkcs8Der() => (byte[])_pkcs8.Clone();

    /// <summary>Unencrypted "BEGIN PRIVATE KEY" PEM: only for files a mesh reads (written 0600 by the caller).</summary>
    public string ToPkcs8Pem() => PemText.Write(PemLabels.Pkcs8, _pkcs8);

    /// <summary>"BEGIN ENCRYPTED PRIVATE KEY" PEM (PBES2, AES-256-CBC, PBKDF2-HMAC-SHA256).</summary>
    public string ToEncryptedPkcs8Pem(string passphrase)
    {
        if (string.IsNullOrEmpty(passphrase))
        {
            throw new PkiException("an empty passphrase cannot protect a private key: supply a non-empty passphrase");
        }

        using var bcl = ToBcl();
        var parameters = new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, EncryptedPkcs8Iterations);
        var encrypted = bcl.ExportEncryptedPkcs8PrivateKey(passphrase.AsSpan(), parameters);
        return PemText.Write(PemLabels.EncryptedPkcs8, encrypted);
    }

    /// <summary>True when this key is the private half of <paramref name="certificate"/>'s public key.</summary>
    public bool Matches(Certificate certificate) => KeyAlgorithms.SamePublicKey(_public, certificate.BcPublicKey);

    public override string ToString() => $"PrivateKey({Algorithm.ToName()}, redacted)";

    /// <summary>
    /// PBKDF2 iterations of every encrypted PKCS#8 Rotation writes: far above openssl's default (2048) so a stolen file
    /// resists guessing; each derivation pays it once (<see cref="PassphraseKeyEncryption"/> derives once per salt).
    /// </summary>
    public const int EncryptedPkcs8Iterations = 210_000;

    private AsymmetricAlgorithm ToBcl()
    {
        AsymmetricAlgorithm algorithm = _private is RsaKeyParameters ? RSA.Create() : ECDsa.Create();
        algorithm.ImportPkcs8PrivateKey(_pkcs8, out _);
        return algorithm;
    }

    private static AsymmetricKeyParameter DerivePublic(AsymmetricKeyParameter privateKey) => privateKey switch
    {
        ECPrivateKeyParameters ec => new ECPublicKeyParameters(
            ec.AlgorithmName,
            ec.Parameters.G.Multiply(ec.D).Normalize(),
            ec.Parameters),
        RsaPrivateCrtKeyParameters rsa => new RsaKeyParameters(false, rsa.Modulus, rsa.PublicExponent),
        _ => throw new PkiException("unsupported private key type: use ECDSA P-256/P-384 or RSA 2048/3072/4096 with CRT parameters"),
    };
}
