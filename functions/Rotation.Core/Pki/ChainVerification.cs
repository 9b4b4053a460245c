namespace Rotation.Core.Pki;

public enum ChainStatus
{
    Valid,
    Expired,
    NotYetValid,
    UnknownAuthority,
    IssuerNotCa,
    PathLengthExceeded,
    KeyUsageMissing,
    ExtendedKeyUsageMissing,
    SignatureInvalid,
}

/// <summary>The TLS role the leaf must be fit for.</summary>
public enum TlsPurpose
{
    Any,
    Server,
    Client,
}

/// <summary>
/// The outcome of verifying a leaf against a bundle. <see cref="Chain"/> runs leaf first, trust anchor last,
/// when a path was found; <see cref="Reason"/> is one line naming the offending certificate.
/// </summary>
public sealed record ChainVerificationResult(ChainStatus Status, string Reason, IReadOnlyList<Certificate> Chain)
{
    public bool IsValid => Status == ChainStatus.Valid;
    public Certificate? TrustAnchor => IsValid ? Chain[^1] : null;
}
