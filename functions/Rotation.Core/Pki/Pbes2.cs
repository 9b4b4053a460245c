using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Nist;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;

namespace Rotation.Core.Pki;

/// <summary>
/// PBES2 (PBKDF2 + AES-CBC) decryption on the platform's native crypto. BouncyCastle's managed PBKDF2 takes seconds
/// at our iteration count; OpenSSL underneath the BCL takes milliseconds. Other schemes fall back to BouncyCastle.
/// </summary>
internal static class Pbes2
{
    /// <summary>
    /// Supplies the PBKDF2 output for a salt and parameters; the deriver keeps ownership of the array (a cache may
    /// hand out the same one again), so the caller must not clear it.
    /// </summary>
    public delegate byte[] KeyDeriver(byte[] salt, int iterations, HashAlgorithmName hash, int keyLength);

    /// <summary>The decrypted PKCS#8, or null when the scheme is not PBES2/PBKDF2/AES-CBC. Throws CryptographicException on a bad key.</summary>
    public static byte[]? TryDecrypt(EncryptedPrivateKeyInfo encrypted, string passphrase, KeyDeriver? deriver = null)
    {
        if (!encrypted.EncryptionAlgorithm.Algorithm.Equals(PkcsObjectIdentifiers.IdPbeS2))
        {
            return null;
        }

        var parameters = PbeS2Parameters.GetInstance(encrypted.EncryptionAlgorithm.Parameters);
        if (!parameters.KeyDerivationFunc.Algorithm.Equals(PkcsObjectIdentifiers.IdPbkdf2))
        {
            return null;
        }

        var kdf = Pbkdf2Params.GetInstance(parameters.KeyDerivationFunc.Parameters);
        var hash = HashOf(kdf.Prf.Algorithm);
        var keyLength = KeyLengthOf(parameters.EncryptionScheme.Algorithm);
        if (hash is null || keyLength is null || kdf.IterationCount.BitLength > 31)
        {
            return null;
        }

        var iv = Asn1OctetString.GetInstance(parameters.EncryptionScheme.Parameters).GetOctets();
        if (deriver is not null)
        {
            return DecryptCbc(deriver(kdf.GetSalt(), kdf.IterationCount.IntValue, hash.Value, keyLength.Value), encrypted.GetEncryptedData(), iv);
        }

        var key = Derive(passphrase, kdf.GetSalt(), kdf.IterationCount.IntValue, hash.Value, keyLength.Value);
        try
        {
            return DecryptCbc(key, encrypted.GetEncryptedData(), iv);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>PBKDF2 over the passphrase's UTF-8 bytes, as PKCS#5 v2.1 and openssl do. The caller clears the result.</summary>
    public static byte[] Derive(string passphrase, byte[] salt, int iterations, HashAlgorithmName hash, int keyLength)
    {
        var password = Encoding.UTF8.GetBytes(passphrase);
        try
        {
            return Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, hash, keyLength);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
        }
    }

    /// <summary>
    /// PKCS#8 encrypted with PBES2 (PBKDF2-HMAC-SHA256 with <paramref name="salt"/> and <paramref name="iterations"/>,
    /// AES-256-CBC under <paramref name="key"/>, a fresh random IV): the structure the BCL's ExportEncryptedPkcs8PrivateKey
    /// writes and `openssl pkey -passin` reads, built with BouncyCastle's ASN.1 types.
    /// </summary>
    public static byte[] Encrypt(ReadOnlySpan<byte> pkcs8, byte[] key, byte[] salt, int iterations)
    {
        if (key.Length != 32)
        {
            throw new ArgumentException("AES-256-CBC needs a 32-byte key", nameof(key));
        }

        var iv = RandomNumberGenerator.GetBytes(16);
        using var aes = Aes.Create();
        aes.Key = key;
        var ciphertext = aes.EncryptCbc(pkcs8, iv, PaddingMode.PKCS7);
        var kdf = new KeyDerivationFunc(
            PkcsObjectIdentifiers.IdPbkdf2,
            new Pbkdf2Params(salt, iterations, new AlgorithmIdentifier(PkcsObjectIdentifiers.IdHmacWithSha256, DerNull.Instance)));
        var scheme = new EncryptionScheme(NistObjectIdentifiers.IdAes256Cbc, new DerOctetString(iv));
        var algorithm = new AlgorithmIdentifier(PkcsObjectIdentifiers.IdPbeS2, new PbeS2Parameters(kdf, scheme));
        return new EncryptedPrivateKeyInfo(algorithm, ciphertext).GetEncoded(Asn1Encodable.Der);
    }

    private static byte[] DecryptCbc(byte[] key, byte[] ciphertext, byte[] iv)
    {
        using var aes = Aes.Create();
        aes.Key = key;
        return aes.DecryptCbc(ciphertext, iv, PaddingMode.PKCS7);
    }

    private static HashAlgorithmName? HashOf(DerObjectIdentifier prf) =>
        prf.Equals(PkcsObjectIdentifiers.IdHmacWithSha256) ? HashAlgorithmName.SHA256
        : prf.Equals(PkcsObjectIdentifiers.IdHmacWithSha384) ? HashAlgorithmName.SHA384
        : prf.Equals(PkcsObjectIdentifiers.IdHmacWithSha512) ? HashAlgorithmName.SHA512
        : prf.Equals(PkcsObjectIdentifiers.IdHmacWithSha1) ? HashAlgorithmName.SHA1
        : null;

    private static int? KeyLengthOf(DerObjectIdentifier cipher) =>
        cipher.Equals(NistObjectIdentifiers.IdAes256Cbc) ? 32
        : cipher.Equals(NistObjectIdentifiers.IdAes192Cbc) ? 24
        : cipher.Equals(NistObjectIdentifiers.IdAes128Cbc) ? 16
        : null;
}
