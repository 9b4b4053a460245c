namespace Rotation.Drill.Workloads;

/// <summary>Why a handshake failed, as the side that refused it saw it.</summary>
public enum HandshakeFailureReason
{
    /// <summary>The peer's chain does not lead to a root in the validating side's bundle.</summary>
    UnknownAuthority,
    Expired,
    /// <summary>The peer's leaf lacks the extended key usage its role needs (serverAuth / clientAuth).</summary>
    ExtendedKeyUsage,
    /// <summary>The peer's leaf does not carry the SPIFFE identity the validating side expects.</summary>
    SanMismatch,
    Other,
}
