using Rotation.Core.Ports;

namespace Rotation.Core.Rotations.Engine;

/// <summary>
/// The driver loop, written once for every host. It decides from the record and the context's clock only, and
/// does everything else through the context, so Durable Functions can replay it.
/// </summary>
public static class RotationDriver
{
    /// <summary>Runs until the rotation finishes or waits for an approval the host will not wait for. Returns the last record seen.</summary>
    public static async Task<RotationRecord> RunAsync(IRotationWorkflowContext context, string rotationId)
    {
        var record = await context.LoadAsync(rotationId);
        var changed = false;
        while (true)
        {
            var decision = RotationDecider.Decide(record, context.CurrentUtcDateTime, changed);
            changed = false;
            switch (decision)
            {
                case RotationDecision.Finished:
                    return record;

                case RotationDecision.AwaitApproval approval:
                    if (!await context.WaitForApprovalAsync(rotationId, approval.Phase))
                    {
                        return record;
                    }

                    record = await context.LoadAsync(rotationId);
                    break;

                case RotationDecision.WaitUntil { WakeOnChange: true } wait:
                    changed = await context.DelayUntilChangeAsync(rotationId, wait.Until);
                    record = await context.LoadAsync(rotationId);
                    break;

                case RotationDecision.WaitUntil wait:
                    await context.DelayUntilAsync(wait.Until);
                    // Re-read: an approval or an abort may have landed while we slept.
                    record = await context.LoadAsync(rotationId);
                    break;

                case RotationDecision.RunStep step:
                    record = await context.RunStepAsync(rotationId, step.Phase);
                    break;
            }
        }
    }
}
