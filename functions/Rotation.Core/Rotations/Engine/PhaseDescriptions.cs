namespace Rotation.Core.Rotations.Engine;

/// <summary>One line per phase saying what it writes or checks, for dry runs and status output.</summary>
public static class PhaseDescriptions
{
    public static string Describe(RotationKind kind, RotationPhase phase) => phase switch
    {
        RotationPhase.Prepare => kind == RotationKind.Root
            ? "mint new root B and intermediate B1 (status prepared); no target changes"
            : "mint new intermediate B1 under the current root (status prepared); no target changes",
        RotationPhase.DistributeTrust => "write trust bundle {A, B} to every target; A1 keeps issuing",
        RotationPhase.VerifyTrust => "gate: every trust store of every target holds A and B",
        RotationPhase.SwitchIssuer => kind == RotationKind.Root
            ? "write issuer B1 (chain B1→B) with bundle {A, B} to every target; refused while a store lacks B"
            : "write issuer B1 (chain B1→A) to every target",
        RotationPhase.VerifyLeaves => "gate: every workload leaf is issued by B1 (evidence, or longest leaf TTL + grace)",
        RotationPhase.RetireOldRoot => "write trust bundle {B} to every target; refused while a live leaf chains to A (point of no return)",
        RotationPhase.VerifyRetired => "gate: no trust store holds A; A and A1 become retired",
        RotationPhase.RetireOldIntermediate => "retire A1; refused while a live leaf was issued by A1",
        RotationPhase.RevertIssuer => "write issuer A1 back to every target",
        RotationPhase.VerifyLeavesReverted => "gate: every workload leaf is issued by A1 again",
        RotationPhase.WithdrawNewTrust => "write trust bundle {A} to every target; refused while a live leaf chains to B",
        RotationPhase.VerifyNewTrustWithdrawn => "gate: no trust store holds B; B and B1 become retired",
        _ => phase.ToString(),
    };
}
