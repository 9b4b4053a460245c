namespace Rotation.Core.Pki;

/// <summary>
/// Bad PKI input: malformed PEM, a wrong passphrase, a key that does not match its certificate,
/// a CA certificate that cannot act as a CA. The message is one line that names the problem and what to do.
/// </summary>
public class PkiException : Exception
{
    public PkiException(string message) : base(message) { }
    public PkiException(string message, Exception inner) : base(message, inner) { }
}
