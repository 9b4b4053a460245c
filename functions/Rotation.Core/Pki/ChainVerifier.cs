namespace Rotation.Core.Pki;

/// <summary>Builds and verifies a path from a leaf, through untrusted intermediates, to an anchor of a bundle.</summary>
public static partial class ChainVerifier
{
    public static ChainVerificationResult Verify(
        Certificate leaf,
        IEnumerable<Certificate> untrustedIntermediates,
        TrustBundle bundle,
        DateTimeOffset at,
        TlsPurpose purpose = TlsPurpose.Any) => throw new NotImplementedException();
}
