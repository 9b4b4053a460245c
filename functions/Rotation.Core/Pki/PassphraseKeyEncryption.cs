using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Rotation.Core.Pki;

/// <summary>
/// Encrypts and decrypts PKCS#8 keys under one passphrase while paying PBKDF2 once per salt instead of once per key.
/// The files are the same standard "ENCRYPTED PRIVATE KEY" PEM <see cref="PrivateKey.ToEncryptedPkcs8Pem"/> writes
/// (PBES2, PBKDF2-HMAC-SHA256 at <see cref="PrivateKey.EncryptedPkcs8Iterations"/>, AES-256-CBC), which
/// `openssl pkey -passin` reads; only the salt is chosen once per instance and shared by the keys it encrypts, each
/// with its own random IV. Sharing the salt between keys under the same passphrase costs nothing an attacker could
/// use: guessing the passphrase for one file already opens them all. Keys derived for files written elsewhere (each
/// with its own salt) are remembered by salt, so each is derived once. The derived keys live in this instance only.
/// </summary>
public sealed class PassphraseKeyEncryption
{
    private const int SaltBytes = 16;

    private readonly string _passphrase;
    private readonly ConcurrentDictionary<(string Salt, int Iterations, string Hash, int Length), Lazy<byte[]>> _derived = new();
    private readonly Lazy<(byte[] Salt, byte[] Key)> _encryption;
    private int _derivations;

    public PassphraseKeyEncryption(string passphrase)
    {
        if (string.IsNullOrEmpty(passphrase))
        {
            throw new PkiException("an empty passphrase cannot protect a private key: supply a non-empty passphrase");
        }

        _passphrase = passphrase;
        _encryption = new Lazy<(byte[], byte[])>(() =>
        {
            var salt = RandomNumberGenerator.GetBytes(SaltBytes);
            var kek = Derive(salt, PrivateKey.EncryptedPkcs8Iterations, HashAlgorithmName.SHA256, 32);
            // The key that encrypts under this salt also decrypts what it encrypted.
            _derived.TryAdd(CacheKey(salt, PrivateKey.EncryptedPkcs8Iterations, HashAlgorithmName.SHA256, 32), new Lazy<byte[]>(kek));
            return (salt, kek);
        });
    }

    /// <summary>How many PBKDF2 derivations this instance has run (the costly part of key protection).</summary>
    public int Derivations => Volatile.Read(ref _derivations);

    /// <summary>True when this instance encrypts under <paramref name="passphrase"/>.</summary>
    public bool IsFor(string passphrase) => string.Equals(_passphrase, passphrase, StringComparison.Ordinal);

    /// <summary>"BEGIN ENCRYPTED PRIVATE KEY" PEM of <paramref name="key"/>.</summary>
    public string Encrypt(PrivateKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var (salt, kek) = _encryption.Value;
        var pkcs8 = key.ExportPkcs8Der();
        try
        {
            return PemText.Write(PemLabels.EncryptedPkcs8, Pbes2.Encrypt(pkcs8, kek, salt, PrivateKey.EncryptedPkcs8Iterations));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>Reads a PEM private key as <see cref="PrivateKey.FromPem"/> does with this passphrase, deriving each salt's key once.</summary>
    public PrivateKey Decrypt(string pem) => PrivateKeyPem.Read(pem, _passphrase, DerivedKey);

    private byte[] DerivedKey(byte[] salt, int iterations, HashAlgorithmName hash, int length) =>
        _derived.GetOrAdd(CacheKey(salt, iterations, hash, length), _ => new Lazy<byte[]>(() => Derive(salt, iterations, hash, length))).Value;

    private static (string, int, string, int) CacheKey(byte[] salt, int iterations, HashAlgorithmName hash, int length) =>
        (Convert.ToBase64String(salt), iterations, hash.Name ?? string.Empty, length);

    private byte[] Derive(byte[] salt, int iterations, HashAlgorithmName hash, int length)
    {
        Interlocked.Increment(ref _derivations);
        return Pbes2.Derive(_passphrase, salt, iterations, hash, length);
    }

    public override string ToString() => "PassphraseKeyEncryption(redacted)";
}
