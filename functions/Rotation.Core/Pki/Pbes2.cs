using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Nist;
using Org.BouncyCastle.Asn1.Pkcs;

namespace Rotation.Core.Pki;

/// <summary>
/// PBES2 (PBKDF2 + AES-CBC) decryption on the platform's native crypto. BouncyCastle's managed PBKDF2 takes seconds
/// at our iteration count; OpenSSL underneath the BCL takes milliseconds. Other schemes fall back to BouncyCastle.
/// </summary>
internal static class Pbes2
{
    /// <summary>The decrypted PKCS#8, or null when the scheme is not PBES2/PBKDF2/AES-CBC. Throws CryptographicException on a bad key.</summary>
    public static byte[]? TryDecrypt(EncryptedPrivateKeyInfo encrypted, string passphrase)
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
        var password = Encoding.UTF8.GetBytes(passphrase);
        var key = Rfc2898DeriveBytes.Pbkdf2(password, kdf.GetSalt(), kdf.IterationCount.IntValue, hash.Value, keyLength.Value);
        try
        {
            using var aes = Aes.Create();
            aes.Key = key;
            return aes.DecryptCbc(encrypted.GetEncryptedData(), iv, PaddingMode.PKCS7);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(password);
        }
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
