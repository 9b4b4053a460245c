namespace Rotation.Drill.Workloads;

/// <summary>A side's refusal of its peer's certificate: the classified reason and a one-line detail.</summary>
public sealed record PeerRejection(HandshakeFailureReason Reason, string Detail);
