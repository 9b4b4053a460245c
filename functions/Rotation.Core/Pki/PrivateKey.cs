namespace Rotation.Core.Pki;

/// <summary>
/// A private key, held as PKCS#8. It never prints itself: ToString is redacted so a log line cannot leak it.
/// </summary>
public sealed partial class PrivateKey
{
    public static PrivateKey Generate(KeyAlgorithm algorithm) => throw new NotImplementedException();

    /// <summary>
    /// Reads a PEM private key: PKCS#8 (plain or encrypted with <paramref name="passphrase"/>), or SEC1/PKCS#1.
    /// Throws <see cref="PkiException"/> on malformed PEM or a wrong passphrase.
    /// </summary>
    public static PrivateKey FromPem(string pem, string? passphrase = null) => throw new NotImplementedException();

    public static PrivateKey FromPkcs8Der(ReadOnlySpan<byte> der) => throw new NotImplementedException();

    public KeyAlgorithm Algorithm => throw new NotImplementedException();

    /// <summary>Unencrypted PKCS#8 DER. Callers clear the array when done.</summary>
    public byte[] ExportPkcs8Der() => throw new NotImplementedException();

    /// <summary>Unencrypted "BEGIN PRIVATE KEY" PEM: only for files a mesh reads (written 0600 by the caller).</summary>
    public string ToPkcs8Pem() => throw new NotImplementedException();

    /// <summary>"BEGIN ENCRYPTED PRIVATE KEY" PEM (PBES2, AES-256-CBC, PBKDF2-HMAC-SHA256).</summary>
    public string ToEncryptedPkcs8Pem(string passphrase) => throw new NotImplementedException();

    /// <summary>True when this key is the private half of <paramref name="certificate"/>'s public key.</summary>
    public bool Matches(Certificate certificate) => throw new NotImplementedException();

    public override string ToString() => $"PrivateKey({Algorithm.ToName()}, redacted)";
}
