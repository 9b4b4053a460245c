namespace Rotation.Core.Pki;

/// <summary>
/// Mints certificates. Serial numbers are random 128-bit positive integers; every CA certificate carries
/// basicConstraints CA:TRUE (critical), keyUsage keyCertSign|cRLSign (critical), SKI, and AKI when issued.
/// </summary>
public static partial class CertificateFactory
{
    public static Certificate CreateRoot(RootCaRequest request, PrivateKey key) => throw new NotImplementedException();

    /// <summary>Refuses (PkiException) an issuer that is not a CA with keyCertSign, or whose validity does not cover the request.</summary>
    public static Certificate CreateIntermediate(IntermediateCaRequest request, PrivateKey subjectKey, CertificateWithKey issuer) => throw new NotImplementedException();

    public static Certificate IssueLeaf(LeafRequest request, PrivateKey leafKey, CertificateWithKey issuer) => throw new NotImplementedException();

    /// <summary>Signs a CSR as an intermediate CA (isCa) or as a workload leaf, after checking the CSR's self-signature.</summary>
    public static Certificate SignCsr(CertificateSigningRequest csr, CertificateWithKey issuer, DateTimeOffset notBefore, DateTimeOffset notAfter, bool isCa, int pathLength = 0) => throw new NotImplementedException();
}
