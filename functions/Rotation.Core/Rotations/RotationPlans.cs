namespace Rotation.Core.Rotations;

/// <summary>The fixed phase sequences. Their order is what keeps an estate from partitioning.</summary>
public static class RotationPlans
{
    public static IReadOnlyList<RotationPhase> For(RotationKind kind) => kind switch
    {
        RotationKind.Root =>
        [
            RotationPhase.Prepare,
            RotationPhase.DistributeTrust,
            RotationPhase.VerifyTrust,
            RotationPhase.SwitchIssuer,
            RotationPhase.VerifyLeaves,
            RotationPhase.RetireOldRoot,
            RotationPhase.VerifyRetired,
        ],
        RotationKind.Intermediate =>
        [
            RotationPhase.Prepare,
            RotationPhase.SwitchIssuer,
            RotationPhase.VerifyLeaves,
            RotationPhase.RetireOldIntermediate,
        ],
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
