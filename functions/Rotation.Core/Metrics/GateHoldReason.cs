using Rotation.Core.Rotations;

namespace Rotation.Core.Metrics;

/// <summary>
/// Why a gate holds, as a small closed set. The engine's reason is free text naming targets and fingerprints;
/// as a metric label that would make a new series per cluster and per retry, so it is folded into one of these.
/// </summary>
public enum GateHoldReason
{
    /// <summary>The phase waits for an operator's approval.</summary>
    AwaitingApproval,

    /// <summary>A step refused for safety (a store lacks the issuer's root, a live leaf still needs a root).</summary>
    Refused,

    /// <summary>A target could not be reached or read: the gate cannot see, so it holds.</summary>
    TargetUnavailable,

    /// <summary>A trust store does not yet hold (or still holds) the roots the phase expects.</summary>
    TrustNotConverged,

    /// <summary>Workload leaves still come from the old issuer.</summary>
    LeavesNotRenewed,

    /// <summary>Leaves cannot be observed and the time rule (longest leaf TTL plus grace) has not elapsed: a planned wait, not a problem.</summary>
    WaitingTimeRule,

    /// <summary>Anything else; the status command shows the full text.</summary>
    Other,
}

public static class GateHoldReasons
{
    /// <summary>The label value: snake_case, stable across releases (alerts match on it).</summary>
    public static string ToLabel(this GateHoldReason reason) => reason switch
    {
        GateHoldReason.AwaitingApproval => "awaiting_approval",
        GateHoldReason.Refused => "refused",
        GateHoldReason.TargetUnavailable => "target_unavailable",
        GateHoldReason.TrustNotConverged => "trust_not_converged",
        GateHoldReason.LeavesNotRenewed => "leaves_not_renewed",
        GateHoldReason.WaitingTimeRule => "waiting_time_rule",
        _ => "other",
    };

    /// <summary>
    /// Folds a gate's reason text into the closed set. The prefixes are the ones the engine writes
    /// (<c>RotationStepRunner</c> prefixes refusals with "refused:", the evidence readers write "unavailable:" for a
    /// target that did not answer); otherwise the phase says what kind of evidence the gate waits for.
    /// </summary>
    public static GateHoldReason Classify(RotationPhase phase, string reason)
    {
        if (reason.StartsWith("refused", StringComparison.Ordinal))
        {
            return GateHoldReason.Refused;
        }

        if (reason.Contains("unavailable", StringComparison.Ordinal))
        {
            return GateHoldReason.TargetUnavailable;
        }

        // LeafEvidence's wording for a gate that only the clock holds.
        if (reason.Contains("waiting for the time rule", StringComparison.Ordinal))
        {
            return GateHoldReason.WaitingTimeRule;
        }

        return phase switch
        {
            RotationPhase.VerifyTrust or RotationPhase.VerifyRetired or RotationPhase.VerifyNewTrustWithdrawn
                or RotationPhase.DistributeTrust or RotationPhase.WithdrawNewTrust or RotationPhase.RetireOldRoot => GateHoldReason.TrustNotConverged,
            RotationPhase.VerifyLeaves or RotationPhase.VerifyLeavesReverted or RotationPhase.RetireOldIntermediate
                or RotationPhase.SwitchIssuer or RotationPhase.RevertIssuer => GateHoldReason.LeavesNotRenewed,
            _ => GateHoldReason.Other,
        };
    }
}
