namespace Rotation.Core.Pki;

/// <summary>A PKCS#10 request. Key Vault creates these for keys it will not export; a Rotation CA signs them.</summary>
public sealed partial class CertificateSigningRequest
{
    public static CertificateSigningRequest Create(string subjectDn, PrivateKey key, IReadOnlyList<string>? dnsNames = null, IReadOnlyList<string>? uriNames = null) => throw new NotImplementedException();

    /// <summary>Parses PEM ("BEGIN CERTIFICATE REQUEST") or base64 DER; throws PkiException when malformed.</summary>
    public static CertificateSigningRequest FromPem(string pem) => throw new NotImplementedException();

    public string SubjectDn => throw new NotImplementedException();
    public IReadOnlyList<string> DnsNames => throw new NotImplementedException();
    public IReadOnlyList<string> UriNames => throw new NotImplementedException();
    public bool IsSignatureValid => throw new NotImplementedException();
    public ReadOnlyMemory<byte> Der => throw new NotImplementedException();
    public string ToPem() => throw new NotImplementedException();
}
