namespace Rotation.Core.Pki;

/// <summary>The PEM block labels Rotation reads and writes, in one place.</summary>
public static class PemLabels
{
    public const string Certificate = "CERTIFICATE";
    public const string CertificateRequest = "CERTIFICATE REQUEST";

    /// <summary>PKCS#8, unencrypted.</summary>
    public const string Pkcs8 = "PRIVATE KEY";

    /// <summary>PKCS#8, encrypted (PBES2).</summary>
    public const string EncryptedPkcs8 = "ENCRYPTED PRIVATE KEY";

    /// <summary>SEC1 elliptic-curve key (openssl's "traditional" EC form).</summary>
    public const string Sec1 = "EC PRIVATE KEY";

    /// <summary>PKCS#1 RSA key (openssl's "traditional" RSA form).</summary>
    public const string Pkcs1 = "RSA PRIVATE KEY";

    public static string Begin(string label) => $"-----BEGIN {label}-----";
    public static string End(string label) => $"-----END {label}-----";
}
