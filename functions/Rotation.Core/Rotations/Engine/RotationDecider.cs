namespace Rotation.Core.Rotations.Engine;

/// <summary>
/// The pure decision function of the engine: (record, now) → next action. It reads nothing else, so a Durable
/// orchestrator can call it on replay and get the same answer.
/// </summary>
public static class RotationDecider
{
    /// <param name="changed">A target signalled a change since the gate last held (the driver waited for one and it came).</param>
    public static RotationDecision Decide(RotationRecord record, DateTimeOffset now, bool changed = false)
    {
        if (record.IsFinished || record.CurrentPhase is not { } phase)
        {
            return new RotationDecision.Finished(record.Status);
        }

        if (record.AwaitsApproval(phase))
        {
            return new RotationDecision.AwaitApproval(phase);
        }

        // A step its host runs a batch of targets at a time is carried on to its end: the gate it is re-checking
        // already waited (its old state is still in the record until the step commits).
        if (record.Round is { } round && round.Belongs(record))
        {
            return new RotationDecision.RunStep(phase);
        }

        if (record.Gate is { } gate && gate.Phase == phase && GateRecheck.Wait(gate, now, changed) is { } wait)
        {
            return wait;
        }

        return new RotationDecision.RunStep(phase);
    }

    /// <summary>True when an approval for <paramref name="phase"/> was given in the current plan (forward or unwind).</summary>
    public static bool IsApproved(this RotationRecord record, RotationPhase phase) =>
        record.Approvals.Any(a => a.Phase == phase && a.Generation == record.PlanGeneration);

    /// <summary>
    /// The one rule for "this phase waits for a human": the policy asks for an approval of it and none was given in the
    /// current plan. Unwinding after an abort never waits: the operator already chose to go back.
    /// </summary>
    public static bool AwaitsApproval(this RotationRecord record, RotationPhase phase) =>
        record.Status == RotationStatus.Running && record.Policy.RequiresApproval(phase) && !record.IsApproved(phase);
}
