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

    /// <summary>Only with <see cref="ChainVerifyFlags.X509Strict"/>: a certificate breaks an RFC 5280 rule openssl -x509_strict enforces.</summary>
    StrictViolation,
}

/// <summary>openssl verify options that change the verdict.</summary>
[Flags]
public enum ChainVerifyFlags
{
    None = 0,

    /// <summary>Any certificate of the bundle may end a path, not only a self-signed root (openssl -partial_chain).</summary>
    PartialChain = 1,

    /// <summary>The RFC 5280 checks of openssl -x509_strict (see <see cref="StrictChecks"/>).</summary>
    X509Strict = 2,
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
