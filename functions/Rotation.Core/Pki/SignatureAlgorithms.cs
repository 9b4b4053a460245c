using System.Security.Cryptography;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;

namespace Rotation.Core.Pki;

/// <summary>How a key of each algorithm signs certificates, and the digest a remote signer (Key Vault keys/sign) is handed.</summary>
public static class SignatureAlgorithms
{
    /// <summary>The JOSE name Key Vault's keys/sign takes ("ES256", "ES384", "RS256").</summary>
    public static string JoseName(KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.EcdsaP256 => "ES256",
        KeyAlgorithm.EcdsaP384 => "ES384",
        _ => "RS256",
    };

    /// <summary>The digest of <paramref name="data"/> a remote signer signs for <paramref name="algorithm"/>.</summary>
    public static byte[] Digest(KeyAlgorithm algorithm, ReadOnlySpan<byte> data) => algorithm == KeyAlgorithm.EcdsaP384
        ? SHA384.HashData(data)
        : SHA256.HashData(data);

    /// <summary>
    /// IEEE P1363 r‖s (what Key Vault returns for ES256/ES384) to the DER SEQUENCE{r, s} X.509 and PKCS#10 carry.
    /// Throws <see cref="PkiException"/> when the length is not the curve's.
    /// </summary>
    public static byte[] EcdsaP1363ToDer(KeyAlgorithm algorithm, ReadOnlySpan<byte> rs)
    {
        var size = algorithm switch
        {
            KeyAlgorithm.EcdsaP256 => 32,
            KeyAlgorithm.EcdsaP384 => 48,
            _ => throw new PkiException($"{algorithm.ToName()} is not an ECDSA key: only ECDSA signatures are converted"),
        };
        if (rs.Length != 2 * size)
        {
            throw new PkiException($"an {algorithm.ToName()} signature is {2 * size} bytes (r‖s), got {rs.Length}: the signer returned something else");
        }

        var r = new BigInteger(1, rs[..size].ToArray());
        var s = new BigInteger(1, rs[size..].ToArray());
        return new DerSequence(new DerInteger(r), new DerInteger(s)).GetDerEncoded();
    }

    /// <summary>The signatureAlgorithm identifier BouncyCastle writes for a local key of the same type (RSA with NULL parameters, ECDSA without).</summary>
    internal static AlgorithmIdentifier Identifier(KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.EcdsaP256 => new AlgorithmIdentifier(X9ObjectIdentifiers.ECDsaWithSha256),
        KeyAlgorithm.EcdsaP384 => new AlgorithmIdentifier(X9ObjectIdentifiers.ECDsaWithSha384),
        _ => new AlgorithmIdentifier(PkcsObjectIdentifiers.Sha256WithRsaEncryption, DerNull.Instance),
    };

    internal static byte[] Sign(PrivateKey key, ReadOnlySpan<byte> data)
    {
        var signer = SignerUtilities.GetSigner(KeyAlgorithms.SignatureAlgorithm(key.Algorithm));
        signer.Init(true, key.BcPrivateKey);
        signer.BlockUpdate(data);
        return signer.GenerateSignature();
    }
}
