using System.Security.Cryptography;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Pkcs;

namespace Rotation.Core.Pki;

/// <summary>Reads the private key PEM forms found in the wild and normalises them to PKCS#8.</summary>
internal static class PrivateKeyPem
{
    private static readonly string Expected =
        $"expected a '{PemLabels.Begin(PemLabels.Pkcs8)}', '{PemLabels.EncryptedPkcs8}', '{PemLabels.Sec1}' or '{PemLabels.Pkcs1}' block";

    public static PrivateKey Read(string pem, string? passphrase, Pbes2.KeyDeriver? deriver = null)
    {
        if (string.IsNullOrWhiteSpace(pem))
        {
            throw new PkiException($"no PEM private key found: the input is empty; {Expected}");
        }

        foreach (var (label, body) in PemText.Blocks(pem))
        {
            if (!label.EndsWith(PemLabels.Pkcs8, StringComparison.Ordinal))
            {
                continue;
            }

            if (body is null)
            {
                throw new PkiException($"malformed PEM private key: the '{label}' block has no matching END line; re-export the key");
            }

            if (body.Contains("Proc-Type:", StringComparison.Ordinal))
            {
                throw new PkiException("legacy OpenSSL-encrypted PEM keys (Proc-Type: 4,ENCRYPTED) are not supported: convert with 'openssl pkcs8 -topk8 -v2 aes-256-cbc'");
            }

            var der = PemText.Decode(body)
                ?? throw new PkiException($"malformed PEM private key: the '{label}' block is not valid base64; re-export the key");
            try
            {
                return label switch
                {
                    PemLabels.Pkcs8 => PrivateKey.FromPkcs8Der(der),
                    PemLabels.EncryptedPkcs8 => Decrypt(der, passphrase, deriver),
                    PemLabels.Sec1 => FromSec1(der),
                    PemLabels.Pkcs1 => FromPkcs1(der),
                    _ => throw new PkiException($"unsupported PEM private key type '{label}': {Expected}"),
                };
            }
            finally
            {
                CryptographicOperations.ZeroMemory(der);
            }
        }

        throw new PkiException($"no PEM private key found: {Expected}");
    }

    private static PrivateKey Decrypt(byte[] der, string? passphrase, Pbes2.KeyDeriver? deriver)
    {
        if (string.IsNullOrEmpty(passphrase))
        {
            throw new PkiException("the private key is encrypted: supply its passphrase");
        }

        EncryptedPrivateKeyInfo encrypted;
        try
        {
            encrypted = EncryptedPrivateKeyInfo.GetInstance(der);
        }
        catch (Exception ex)
        {
            throw new PkiException("malformed encrypted private key: the 'ENCRYPTED PRIVATE KEY' block is not PKCS#8; re-export the key", ex);
        }

        byte[] pkcs8;
        try
        {
            pkcs8 = Pbes2.TryDecrypt(encrypted, passphrase, deriver)
                ?? PrivateKeyInfoFactory.CreatePrivateKeyInfo(passphrase.ToCharArray(), encrypted).GetEncoded();
        }
        catch (Exception ex) when (IsDecryptionFailure(ex))
        {
            // A wrong passphrase shows up as bad padding or, now and then, as garbage that does not parse: both mean the same.
            throw new PkiException("cannot decrypt private key: wrong passphrase or corrupted key; check the passphrase", ex);
        }

        try
        {
            return PrivateKey.FromPkcs8Der(pkcs8);
        }
        catch (PkiException ex)
        {
            throw new PkiException("cannot decrypt private key: wrong passphrase or corrupted key; check the passphrase", ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    private static bool IsDecryptionFailure(Exception ex) =>
        ex is CryptographicException or Org.BouncyCastle.Crypto.InvalidCipherTextException or Org.BouncyCastle.Crypto.DataLengthException
            or ArgumentException or InvalidOperationException or IOException or Org.BouncyCastle.Asn1.Asn1Exception;

    private static PrivateKey FromSec1(byte[] der)
    {
        using var ec = ECDsa.Create();
        try
        {
            ec.ImportECPrivateKey(der, out _);
        }
        catch (CryptographicException ex)
        {
            throw new PkiException("malformed EC private key: the 'EC PRIVATE KEY' block is not a SEC1 key with a named curve; re-export the key", ex);
        }

        return FromBcl(ec);
    }

    private static PrivateKey FromPkcs1(byte[] der)
    {
        using var rsa = RSA.Create();
        try
        {
            rsa.ImportRSAPrivateKey(der, out _);
        }
        catch (CryptographicException ex)
        {
            throw new PkiException("malformed RSA private key: the 'RSA PRIVATE KEY' block is not a PKCS#1 key; re-export the key", ex);
        }

        return FromBcl(rsa);
    }

    private static PrivateKey FromBcl(AsymmetricAlgorithm key)
    {
        var pkcs8 = key.ExportPkcs8PrivateKey();
        try
        {
            return PrivateKey.FromPkcs8Der(pkcs8);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }
}
