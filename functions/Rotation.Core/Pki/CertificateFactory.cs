using Org.BouncyCastle.Asn1.X509;

namespace Rotation.Core.Pki;

/// <summary>
/// Mints certificates. Serial numbers are random 128-bit positive integers; every CA certificate carries
/// basicConstraints CA:TRUE (critical), keyUsage keyCertSign|cRLSign (critical), SKI, and AKI when issued.
/// </summary>
public static partial class CertificateFactory
{
    public static Certificate CreateRoot(RootCaRequest request, PrivateKey key)
    {
        if (request.PathLength is < 0)
        {
            throw new PkiException($"root '{request.SubjectDn}': path length {request.PathLength} is negative; use 0 or more, or omit it");
        }

        var subject = DistinguishedNames.Parse(request.SubjectDn, "root CA subject", allowEmpty: false);
        var (notBefore, notAfter) = Validity(request.NotBefore, request.NotAfter, request.SubjectDn);
        var ski = SubjectKeyIds.Of(key.BcPublicKey);
        return new CertificateBuilder(subject, subject, notBefore, notAfter, key.BcPublicKey)
            .CertificateAuthority(request.PathLength)
            .KeyIdentifiers(ski, ski)
            .SignWith(key);
    }

    /// <summary>Refuses (PkiException) an issuer that is not a CA with keyCertSign, or whose validity does not cover the request.</summary>
    public static Certificate CreateIntermediate(IntermediateCaRequest request, PrivateKey subjectKey, CertificateWithKey issuer)
    {
        if (request.PathLength < 0)
        {
            throw new PkiException($"intermediate '{request.SubjectDn}': path length {request.PathLength} is negative; use 0 or more");
        }

        var subject = DistinguishedNames.Parse(request.SubjectDn, "intermediate CA subject", allowEmpty: false);
        var (notBefore, notAfter) = Validity(request.NotBefore, request.NotAfter, request.SubjectDn);
        IssuerChecks.EnsureCanIssue(issuer, notBefore, notAfter, request.SubjectDn);
        return new CertificateBuilder(issuer.Certificate.Bc.SubjectDN, subject, notBefore, notAfter, subjectKey.BcPublicKey)
            .CertificateAuthority(request.PathLength)
            .KeyIdentifiers(SubjectKeyIds.Of(subjectKey.BcPublicKey), SubjectKeyIds.Of(issuer.Certificate))
            .SignWith(issuer.Key);
    }

    public static Certificate IssueLeaf(LeafRequest request, PrivateKey leafKey, CertificateWithKey issuer)
    {
        var subject = DistinguishedNames.Parse(request.SubjectDn, "leaf subject", allowEmpty: true);
        var (notBefore, notAfter) = Validity(request.NotBefore, request.NotAfter, request.SubjectDn);
        IssuerChecks.EnsureCanIssue(issuer, notBefore, notAfter, request.SubjectDn);
        return new CertificateBuilder(issuer.Certificate.Bc.SubjectDN, subject, notBefore, notAfter, leafKey.BcPublicKey)
            .Leaf(KeyAlgorithms.IsRsa(leafKey.Algorithm))
            .SubjectAlternativeNames(request.DnsNames, request.UriNames, critical: subject.GetOidList().Count == 0)
            .KeyIdentifiers(SubjectKeyIds.Of(leafKey.BcPublicKey), SubjectKeyIds.Of(issuer.Certificate))
            .SignWith(issuer.Key);
    }

    /// <summary>Signs a CSR as an intermediate CA (isCa) or as a workload leaf, after checking the CSR's self-signature.</summary>
    public static Certificate SignCsr(CertificateSigningRequest csr, CertificateWithKey issuer, DateTimeOffset notBefore, DateTimeOffset notAfter, bool isCa, int pathLength = 0)
    {
        if (!csr.IsSignatureValid)
        {
            throw new PkiException($"the CSR for '{csr.SubjectDn}' has an invalid self-signature: it was altered or signed with another key; create a new CSR");
        }

        if (isCa && pathLength < 0)
        {
            throw new PkiException($"CSR '{csr.SubjectDn}': path length {pathLength} is negative; use 0 or more");
        }

        var publicKey = csr.BcPublicKey;
        var algorithm = KeyAlgorithms.Of(publicKey, $"CSR '{csr.SubjectDn}' key");
        var subject = csr.BcSubject;
        var (from, until) = Validity(notBefore, notAfter, csr.SubjectDn);
        IssuerChecks.EnsureCanIssue(issuer, from, until, csr.SubjectDn);
        var builder = new CertificateBuilder(issuer.Certificate.Bc.SubjectDN, subject, from, until, publicKey);
        builder = isCa
            ? builder.CertificateAuthority(pathLength)
            : builder.Leaf(KeyAlgorithms.IsRsa(algorithm)).SubjectAlternativeNames(csr.DnsNames, csr.UriNames, critical: subject.GetOidList().Count == 0);
        return builder
            .KeyIdentifiers(SubjectKeyIds.Of(publicKey), SubjectKeyIds.Of(issuer.Certificate))
            .SignWith(issuer.Key);
    }

    /// <summary>Certificates carry whole seconds; truncating first makes "covers the issuer's validity" exact.</summary>
    private static (DateTimeOffset NotBefore, DateTimeOffset NotAfter) Validity(DateTimeOffset notBefore, DateTimeOffset notAfter, string subject)
    {
        var from = TruncateToSeconds(notBefore);
        var until = TruncateToSeconds(notAfter);
        return until > from
            ? (from, until)
            : throw new PkiException($"'{subject}': notAfter {notAfter:u} is not after notBefore {notBefore:u}; give a positive validity");
    }

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset value)
    {
        var utc = value.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
    }
}
