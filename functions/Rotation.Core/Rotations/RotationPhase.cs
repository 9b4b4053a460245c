namespace Rotation.Core.Rotations;

/// <summary>
/// The steps of a rotation. A plan is an ordered list of these (see <see cref="RotationPlans"/>). The last four
/// only appear in the plan that an abort puts in place: they unwind in the same safe order, never as a flag-day swap.
/// </summary>
public enum RotationPhase
{
    /// <summary>Mint the new root and/or intermediate (status prepared). No target changes.</summary>
    Prepare,
    /// <summary>Every target's bundle becomes {old, new}; the old intermediate still issues.</summary>
    DistributeTrust,
    /// <summary>Gate: every trust store of every target holds old and new root.</summary>
    VerifyTrust,
    /// <summary>Every target issues from the new intermediate; the bundle stays {old, new}.</summary>
    SwitchIssuer,
    /// <summary>Gate: every workload leaf chains to the new CA (evidence, or the leaf-TTL-plus-grace rule).</summary>
    VerifyLeaves,
    /// <summary>Every bundle becomes {new}. The point of no return.</summary>
    RetireOldRoot,
    /// <summary>Gate: no trust store holds the old root. Old CAs become retired.</summary>
    VerifyRetired,
    /// <summary>Intermediate rotation: the old intermediate becomes retired.</summary>
    RetireOldIntermediate,

    /// <summary>Abort: issuer back to the old intermediate.</summary>
    RevertIssuer,
    /// <summary>Abort gate: every leaf chains to the old CA again.</summary>
    VerifyLeavesReverted,
    /// <summary>Abort: drop the new root from every bundle.</summary>
    WithdrawNewTrust,
    /// <summary>Abort gate: no trust store holds the new root. New CAs become retired.</summary>
    VerifyNewTrustWithdrawn,
}
