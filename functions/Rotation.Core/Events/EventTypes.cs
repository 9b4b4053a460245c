namespace Rotation.Core.Events;

/// <summary>The CloudEvents types Rotation publishes.</summary>
public static class EventTypes
{
    public const string CertificateNearExpiry = "Rotation.CertificateNearExpiry";
    public const string CertificateExpired = "Rotation.CertificateExpired";
    public const string RotationDue = "Rotation.RotationDue";

    public const string PhaseStarted = "Rotation.PhaseStarted";
    public const string PhaseCompleted = "Rotation.PhaseCompleted";
    public const string ApprovalRequired = "Rotation.ApprovalRequired";
    public const string PhaseApproved = "Rotation.PhaseApproved";
    public const string GateBlocked = "Rotation.GateBlocked";
    public const string RotationCompleted = "Rotation.RotationCompleted";
    public const string RotationFailed = "Rotation.RotationFailed";
    public const string RotationAborted = "Rotation.RotationAborted";
}
