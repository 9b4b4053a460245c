using Rotation.Core.Ports;
using Rotation.Core.Rotations.Engine;

namespace Rotation.Core.Rotations.Steps;

/// <summary>
/// Which step each phase runs. Read it as the rotation's script: the bundle and issuer each phase writes, the
/// gate each phase checks. A = old root, A1 = old intermediate, B = new root, B1 = new intermediate.
/// </summary>
public sealed class PhaseSteps(IKeyCustody custody)
{
    public IPhaseStep For(RotationKind kind, RotationPhase phase) => phase switch
    {
        // Mint B (root rotation) and B1.
        RotationPhase.Prepare => new PrepareStep(custody),
        // Bundles become {A, B}; A1 still issues.
        RotationPhase.DistributeTrust => new ApplyBundleStep(m => m.Overlap, _ => null),
        // Every store holds A and B.
        RotationPhase.VerifyTrust => new TrustGateStep(m => [m.OldRoot, m.RequiredNewRoot], _ => []),
        // Issue from B1 with bundle {A, B} (or {A} in an intermediate rotation); refused while a store lacks B1's root.
        RotationPhase.SwitchIssuer => new ApplyIssuerStep(m => m.RequiredNewIntermediate, m => m.Overlap),
        // Every leaf is issued by B1.
        RotationPhase.VerifyLeaves => new LeafGateStep(m => m.RequiredNewIntermediate),
        // Bundles become {B}; refused while a live leaf chains to A.
        RotationPhase.RetireOldRoot => new ApplyBundleStep(m => m.NewOnly, m => m.OldRoot),
        // No store holds A any more.
        RotationPhase.VerifyRetired => new TrustGateStep(m => [m.RequiredNewRoot], m => [m.OldRoot]),
        // Refused while a live leaf was issued by A1.
        RotationPhase.RetireOldIntermediate => new RetireIntermediateStep(),

        // Abort: issue from A1 again, bundle unchanged.
        RotationPhase.RevertIssuer => new ApplyIssuerStep(m => m.OldIntermediate, m => m.Overlap),
        // Every leaf is issued by A1 again.
        RotationPhase.VerifyLeavesReverted => new LeafGateStep(m => m.OldIntermediate),
        // Bundles become {A}; refused while a live leaf chains to B.
        RotationPhase.WithdrawNewTrust => new ApplyBundleStep(m => m.OldOnly, m => m.RequiredNewRoot),
        // No store holds B.
        RotationPhase.VerifyNewTrustWithdrawn => new TrustGateStep(m => [m.OldRoot], m => [m.RequiredNewRoot]),
        _ => throw new ArgumentOutOfRangeException(nameof(phase), phase, $"no step for phase {phase} of a {kind} rotation"),
    };
}
