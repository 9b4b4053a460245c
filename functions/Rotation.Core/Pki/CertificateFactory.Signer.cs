namespace Rotation.Core.Pki;

/// <summary>
/// The same certificates as the <see cref="PrivateKey"/> overloads, signed through an <see cref="ICertificateSigner"/>
/// so the issuing key can stay in custody (Key Vault, the local vault). Only public keys enter this process.
/// </summary>
public static partial class CertificateFactory
{
    public static Task<Certificate> CreateRootAsync(RootCaRequest request, ICertificateSigner signer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signer);
        if (request.PathLength is < 0)
        {
            throw new PkiException($"root '{request.SubjectDn}': path length {request.PathLength} is negative; use 0 or more, or omit it");
        }

        var subject = DistinguishedNames.Parse(request.SubjectDn, "root CA subject", allowEmpty: false);
        var (notBefore, notAfter) = Validity(request.NotBefore, request.NotAfter, request.SubjectDn);
        var key = signer.PublicKey.BcPublicKey;
        var ski = SubjectKeyIds.Of(key);
        return new CertificateBuilder(subject, subject, notBefore, notAfter, key)
            .CertificateAuthority(request.PathLength)
            .KeyIdentifiers(ski, ski)
            .SignWithAsync(signer, cancellationToken);
    }

    /// <summary>Refuses (PkiException) an issuer that is not a CA with keyCertSign, whose key is not the signer's, or whose validity does not cover the request.</summary>
    public static Task<Certificate> CreateIntermediateAsync(IntermediateCaRequest request, PublicKey subjectKey, Certificate issuer, ICertificateSigner issuerSigner, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subjectKey);
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentNullException.ThrowIfNull(issuerSigner);
        if (request.PathLength < 0)
        {
            throw new PkiException($"intermediate '{request.SubjectDn}': path length {request.PathLength} is negative; use 0 or more");
        }

        var subject = DistinguishedNames.Parse(request.SubjectDn, "intermediate CA subject", allowEmpty: false);
        var (notBefore, notAfter) = Validity(request.NotBefore, request.NotAfter, request.SubjectDn);
        IssuerChecks.EnsureCanIssue(issuer, issuerSigner.PublicKey, notBefore, notAfter, request.SubjectDn);
        return new CertificateBuilder(issuer.Bc.SubjectDN, subject, notBefore, notAfter, subjectKey.BcPublicKey)
            .CertificateAuthority(request.PathLength)
            .KeyIdentifiers(SubjectKeyIds.Of(subjectKey.BcPublicKey), SubjectKeyIds.Of(issuer))
            .SignWithAsync(issuerSigner, cancellationToken);
    }

    public static Task<Certificate> IssueLeafAsync(LeafRequest request, PublicKey leafKey, Certificate issuer, ICertificateSigner issuerSigner, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(leafKey);
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentNullException.ThrowIfNull(issuerSigner);
        var subject = DistinguishedNames.Parse(request.SubjectDn, "leaf subject", allowEmpty: true);
        var (notBefore, notAfter) = Validity(request.NotBefore, request.NotAfter, request.SubjectDn);
        IssuerChecks.EnsureCanIssue(issuer, issuerSigner.PublicKey, notBefore, notAfter, request.SubjectDn);
        return new CertificateBuilder(issuer.Bc.SubjectDN, subject, notBefore, notAfter, leafKey.BcPublicKey)
            .Leaf(KeyAlgorithms.IsRsa(leafKey.Algorithm))
            .SubjectAlternativeNames(request.DnsNames, request.UriNames, critical: subject.GetOidList().Count == 0)
            .KeyIdentifiers(SubjectKeyIds.Of(leafKey.BcPublicKey), SubjectKeyIds.Of(issuer))
            .SignWithAsync(issuerSigner, cancellationToken);
    }
}
