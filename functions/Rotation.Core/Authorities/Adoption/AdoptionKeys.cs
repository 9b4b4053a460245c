using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.Pkcs;
using Rotation.Core.Domain;
using Rotation.Core.Pki;

namespace Rotation.Core.Authorities.Adoption;

/// <summary>
/// Reads an adopted CA key. Besides the forms <see cref="PrivateKey.FromPem"/> reads, it opens the legacy OpenSSL
/// encryption (Proc-Type: 4,ENCRYPTED / DEK-Info) that step-ca writes its keys in (smallstep/crypto pemutil.Serialize
/// uses x509.EncryptPEMBlock unless PKCS#8 is asked for). The key only lives in memory until the vault encrypts it.
/// </summary>
public static class AdoptionKeys
{
    public static PrivateKey Read(string pem, string file, string? passphrase)
    {
        try
        {
            return pem.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal) ? ReadLegacy(pem, file, passphrase) : PrivateKey.FromPem(pem, passphrase);
        }
        catch (PkiException ex)
        {
            throw new DomainException($"{file}: {ex.Message}{(ex.Message.Contains("encrypted", StringComparison.Ordinal) && passphrase is null ? " (pass --key-passphrase-file FILE)" : "")}");
        }
    }

    private static PrivateKey ReadLegacy(string pem, string file, string? passphrase)
    {
        if (string.IsNullOrEmpty(passphrase))
            throw new DomainException($"{file} is encrypted: pass its passphrase with --key-passphrase-file FILE");
        object read;
        try
        {
            using var reader = new StringReader(pem);
            read = new PemReader(reader, new Passphrase(passphrase)).ReadObject();
        }
        catch (Exception ex) when (ex is InvalidCipherTextException or PemException or IOException or ArgumentException or InvalidOperationException or DataLengthException)
        {
            throw new DomainException($"{file}: cannot decrypt the key: wrong passphrase or corrupted key; check the passphrase");
        }

        var key = read switch
        {
            AsymmetricCipherKeyPair pair => pair.Private,
            AsymmetricKeyParameter { IsPrivate: true } single => single,
            _ => throw new DomainException($"{file} holds no private key: supply the CA's key file"),
        };
        return PrivateKey.FromPkcs8Der(PrivateKeyInfoFactory.CreatePrivateKeyInfo(key).GetDerEncoded());
    }

    private sealed class Passphrase(string value) : IPasswordFinder
    {
        public char[] GetPassword() => value.ToCharArray();
    }
}
