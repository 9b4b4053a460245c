namespace Rotation.Core.Rotations;

/// <summary>Which phases are gates: they write nothing and hold until evidence read from the targets is in place.</summary>
public static class RotationGates
{
    public static bool IsGate(this RotationPhase phase) => phase is
        RotationPhase.VerifyTrust or RotationPhase.VerifyLeaves or RotationPhase.VerifyRetired
        or RotationPhase.VerifyLeavesReverted or RotationPhase.VerifyNewTrustWithdrawn;
}
