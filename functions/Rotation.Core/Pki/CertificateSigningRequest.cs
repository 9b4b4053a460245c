using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Pkcs;

namespace Rotation.Core.Pki;

/// <summary>A PKCS#10 request. Key Vault creates these for keys it will not export; a Rotation CA signs them.</summary>
public sealed partial class CertificateSigningRequest
{
    private readonly byte[] _der;
    private readonly Pkcs10CertificationRequest _bc;
    private readonly Lazy<bool> _signatureValid;

    private CertificateSigningRequest(byte[] der, Pkcs10CertificationRequest bc)
    {
        _der = der;
        _bc = bc;
        BcSubject = bc.GetCertificationRequestInfo().Subject;
        SubjectDn = BcSubject.ToString();
        BcPublicKey = bc.GetPublicKey();
        var names = bc.GetRequestedExtensions()?.GetExtension(X509Extensions.SubjectAlternativeName) is { } san
            ? GeneralNames.GetInstance(san.GetParsedValue()).GetNames()
            : [];
        DnsNames = names.Where(n => n.TagNo == GeneralName.DnsName).Select(n => ((IAsn1String)n.Name).GetString()).ToList();
        UriNames = names.Where(n => n.TagNo == GeneralName.UniformResourceIdentifier).Select(n => ((IAsn1String)n.Name).GetString()).ToList();
        _signatureValid = new Lazy<bool>(VerifySignature);
    }

    public static CertificateSigningRequest Create(string subjectDn, PrivateKey key, IReadOnlyList<string>? dnsNames = null, IReadOnlyList<string>? uriNames = null)
    {
        var subject = DistinguishedNames.Parse(subjectDn, "CSR subject", allowEmpty: (dnsNames?.Count ?? 0) + (uriNames?.Count ?? 0) > 0);
        var names = (dnsNames ?? []).Select(d => new GeneralName(GeneralName.DnsName, SanValidation.Dns(d)))
            .Concat((uriNames ?? []).Select(u => new GeneralName(GeneralName.UniformResourceIdentifier, SanValidation.Uri(u))))
            .ToArray();
        DerSet? attributes = null;
        if (names.Length > 0)
        {
            var extensions = new X509ExtensionsGenerator();
            extensions.AddExtension(X509Extensions.SubjectAlternativeName, subject.GetOidList().Count == 0, new GeneralNames(names));
            attributes = new DerSet(new AttributePkcs(PkcsObjectIdentifiers.Pkcs9AtExtensionRequest, new DerSet(extensions.Generate())));
        }

        var signer = new Asn1SignatureFactory(KeyAlgorithms.SignatureAlgorithm(key.Algorithm), key.BcPrivateKey);
        var request = new Pkcs10CertificationRequest(signer, subject, key.BcPublicKey, attributes);
        return new CertificateSigningRequest(request.GetEncoded(), request);
    }

    /// <summary>Parses PEM ("BEGIN CERTIFICATE REQUEST") or base64 DER; throws PkiException when malformed.</summary>
    public static CertificateSigningRequest FromPem(string pem)
    {
        const string Expected = "supply a '-----BEGIN CERTIFICATE REQUEST-----' PEM or base64 DER";
        if (string.IsNullOrWhiteSpace(pem))
        {
            throw new PkiException($"CSR is empty: {Expected}");
        }

        byte[]? der;
        if (pem.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            var block = PemText.Blocks(pem).FirstOrDefault(b => b.Label is "CERTIFICATE REQUEST" or "NEW CERTIFICATE REQUEST");
            if (block.Label is null)
            {
                throw new PkiException($"no PEM certificate request found: {Expected}");
            }

            der = block.Body is null ? null : PemText.Decode(block.Body);
        }
        else
        {
            der = PemText.Decode(pem);
        }

        if (der is null)
        {
            throw new PkiException($"malformed CSR: not valid base64 or missing END line; {Expected}");
        }

        try
        {
            var request = new Pkcs10CertificationRequest(der);
            return new CertificateSigningRequest(der, request);
        }
        catch (Exception ex) when (ex is not PkiException)
        {
            throw new PkiException($"malformed CSR: not a PKCS#10 certification request; {Expected}", ex);
        }
    }

    public string SubjectDn { get; }
    public IReadOnlyList<string> DnsNames { get; }
    public IReadOnlyList<string> UriNames { get; }
    public bool IsSignatureValid => _signatureValid.Value;
    public ReadOnlyMemory<byte> Der => _der;
    public string ToPem() => PemText.Write("CERTIFICATE REQUEST", _der);

    internal X509Name BcSubject { get; }
    internal AsymmetricKeyParameter BcPublicKey { get; }

    private bool VerifySignature()
    {
        try
        {
            return _bc.Verify();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A signature that cannot even be checked is not a valid one.
            return false;
        }
    }
}
