namespace Rotation.Core.Rotations.Engine;

/// <summary>
/// The unwind plan for an abort. It mirrors the forward order: issuer back first, wait for leaves, then drop the
/// new root from bundles. When in doubt whether a write happened (a crash mid-step), it unwinds it anyway:
/// every unwind step is idempotent, and an unneeded one only costs a wait.
/// </summary>
public static class AbortPlanner
{
    /// <summary>The audit event <see cref="PointOfNoReturnClaim"/> commits before the point of no return's first write.</summary>
    public const string PointOfNoReturnClaimed = "PointOfNoReturnClaimed";

    /// <summary>The phase of <paramref name="record"/>'s kind that removes old trust (or retires the old issuer): no abort once it started.</summary>
    public static RotationPhase PointOfNoReturn(RotationRecord record) =>
        record.Kind == RotationKind.Root ? RotationPhase.RetireOldRoot : RotationPhase.RetireOldIntermediate;

    /// <summary>True once the point of no return has started: old trust is being removed.</summary>
    public static bool PastPointOfNoReturn(RotationRecord record)
    {
        var noReturn = PointOfNoReturn(record);
        var index = IndexOf(record, noReturn);
        if (record.PhaseIndex > index)
        {
            return true;
        }

        return record.PhaseIndex == index
            && (record.Gate?.Phase == noReturn
                || record.Targets.Values.Any(t => t.Phase == noReturn)
                || record.Audit.Any(a => a.Event == PointOfNoReturnClaimed && a.Phase == noReturn));
    }

    public static IReadOnlyList<RotationPhase> UnwindPlan(RotationRecord record)
    {
        var plan = new List<RotationPhase>();
        if (record.Authorities.NewIntermediateId is null)
        {
            return plan;
        }

        if (record.PhaseIndex >= IndexOf(record, RotationPhase.SwitchIssuer))
        {
            plan.Add(RotationPhase.RevertIssuer);
            plan.Add(RotationPhase.VerifyLeavesReverted);
        }

        if (record.Kind == RotationKind.Root && record.PhaseIndex >= IndexOf(record, RotationPhase.DistributeTrust))
        {
            plan.Add(RotationPhase.WithdrawNewTrust);
            plan.Add(RotationPhase.VerifyNewTrustWithdrawn);
        }

        return plan;
    }

    private static int IndexOf(RotationRecord record, RotationPhase phase)
    {
        var index = RotationPlans.For(record.Kind).ToList().IndexOf(phase);
        return index < 0 ? int.MaxValue : index;
    }
}
