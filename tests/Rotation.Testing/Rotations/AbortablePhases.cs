using Rotation.Core.Rotations;

namespace Rotation.Testing.Rotations;

/// <summary>
/// Every phase a rotation can be aborted from (before its point of no return), written out by hand rather than read
/// from the engine, so a test that walks them fails when the engine starts refusing one of them.
/// </summary>
public static class AbortablePhases
{
    public static IReadOnlyList<(RotationKind Kind, RotationPhase Phase)> All { get; } =
    [
        (RotationKind.Root, RotationPhase.Prepare),
        (RotationKind.Root, RotationPhase.DistributeTrust),
        (RotationKind.Root, RotationPhase.VerifyTrust),
        (RotationKind.Root, RotationPhase.SwitchIssuer),
        (RotationKind.Root, RotationPhase.VerifyLeaves),
        (RotationKind.Root, RotationPhase.RetireOldRoot),
        (RotationKind.Intermediate, RotationPhase.Prepare),
        (RotationKind.Intermediate, RotationPhase.SwitchIssuer),
        (RotationKind.Intermediate, RotationPhase.VerifyLeaves),
        (RotationKind.Intermediate, RotationPhase.RetireOldIntermediate),
    ];
}
