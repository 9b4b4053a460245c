using Microsoft.DurableTask;
using Rotation.Core.Domain;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;

namespace Rotation.Functions.Orchestrations;

/// <summary>Reads the rotation record (no key material in it: CAs are ids, keys are references in the store), as a <see cref="RecordSnapshot"/>.</summary>
public sealed class LoadRotationActivity(RotationStepRunner runner) : TaskActivity<string, RecordSnapshot>
{
    public override async Task<RecordSnapshot> RunAsync(TaskActivityContext context, string input) => RecordSnapshot.Of(await runner.LoadAsync(input));
}

/// <summary>
/// Runs one phase's step through the engine's step runner (idempotent; it loads any key it needs from the vault by
/// reference itself, so no key crosses the activity boundary). A refusal comes back as the holding record, not as an
/// exception: the runner has already committed the hold and its reason.
/// </summary>
public sealed class RunPhaseActivity(RotationStepRunner runner) : TaskActivity<PhaseStepRequest, RecordSnapshot>
{
    public override async Task<RecordSnapshot> RunAsync(TaskActivityContext context, PhaseStepRequest input)
    {
        ArgumentNullException.ThrowIfNull(input);
        try
        {
            return RecordSnapshot.Of(await runner.RunAsync(input.RotationId, input.Phase));
        }
        catch (UnsafeStepException)
        {
            return RecordSnapshot.Of(await runner.LoadAsync(input.RotationId));
        }
    }
}

/// <summary>Records an approval or an abort that arrived as an external event. Idempotent; a refusal is a value.</summary>
public sealed class RecordSignalActivity(RotationService rotations) : TaskActivity<RotationSignal, SignalOutcome>
{
    public override async Task<SignalOutcome> RunAsync(TaskActivityContext context, RotationSignal input)
    {
        ArgumentNullException.ThrowIfNull(input);
        try
        {
            if (input.Approval is { } approval)
            {
                var record = await rotations.ApproveAsync(input.RotationId, approval.Phase, approval.By);
                return new SignalOutcome(true, $"approved {approval.Phase?.ToString() ?? record.CurrentPhase?.ToString() ?? "-"} by {approval.By}");
            }

            if (input.Abort is { } abort)
            {
                var record = await rotations.AbortAsync(input.RotationId, abort.By);
                return new SignalOutcome(true, $"abort by {abort.By}: {record.Status}");
            }

            return new SignalOutcome(false, "empty signal");
        }
        catch (Exception ex) when (ex is DomainException or UnsafeStepException)
        {
            return new SignalOutcome(false, $"refused: {ex.Message}");
        }
    }
}
