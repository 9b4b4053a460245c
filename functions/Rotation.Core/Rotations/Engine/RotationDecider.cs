namespace Rotation.Core.Rotations.Engine;

/// <summary>
/// The pure decision function of the engine: (record, now) → next action. It reads nothing else, so a Durable
/// orchestrator can call it on replay and get the same answer.
/// </summary>
public static class RotationDecider
{
    public static RotationDecision Decide(RotationRecord record, DateTimeOffset now)
    {
        if (record.IsFinished || record.CurrentPhase is not { } phase)
        {
            return new RotationDecision.Finished(record.Status);
        }

        // Unwinding after an abort never waits for a human: the operator already chose to go back.
        if (record.Status == RotationStatus.Running && record.Policy.RequiresApproval(phase) && !record.IsApproved(phase))
        {
            return new RotationDecision.AwaitApproval(phase);
        }

        if (record.Gate is { } gate && gate.Phase == phase && gate.NextCheckAt > now)
        {
            return new RotationDecision.WaitUntil(gate.NextCheckAt, gate.Reason);
        }

        return new RotationDecision.RunStep(phase);
    }

    /// <summary>True when an approval for <paramref name="phase"/> was given in the current plan (forward or unwind).</summary>
    public static bool IsApproved(this RotationRecord record, RotationPhase phase) =>
        record.Approvals.Any(a => a.Phase == phase && a.Generation == record.PlanGeneration);
}
