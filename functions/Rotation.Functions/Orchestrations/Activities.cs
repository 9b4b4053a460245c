using Microsoft.DurableTask;
using Microsoft.Extensions.Options;
using Rotation.Core.Domain;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Rotation.Core.Rotations.Evidence;
using Rotation.Core.Rotations.Steps;
using Rotation.Functions.Hosting;

namespace Rotation.Functions.Orchestrations;

/// <summary>Reads the rotation record (no key material in it: CAs are ids, keys are references in the store), as a <see cref="RecordSnapshot"/>.</summary>
public sealed class LoadRotationActivity(RotationStepRunner runner) : TaskActivity<string, RecordSnapshot>
{
    public override async Task<RecordSnapshot> RunAsync(TaskActivityContext context, string input) => RecordSnapshot.Of(await runner.LoadAsync(input));
}

/// <summary>
/// Plans, reduces and commits a phase step for the cluster activities (<see cref="RotationStepRunner.AdvanceAsync"/>):
/// takes the last batch's answers, and returns the next batch of at most <see cref="RotationFunctionsOptions.MaxClusterParallelism"/>
/// clusters, or the committed record. The only writer of the record for the phase; a refusal comes back as the
/// holding record, not as an exception.
/// </summary>
public sealed class AdvancePhaseActivity(RotationStepRunner runner, IOptions<RotationFunctionsOptions> options) : TaskActivity<AdvanceRequest, PhaseAdvance>
{
    public override async Task<PhaseAdvance> RunAsync(TaskActivityContext context, AdvanceRequest input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var advance = await runner.AdvanceAsync(input.RotationId, input.Phase, input.Answers, options.Value.MaxClusterParallelism);
        return new PhaseAdvance(RecordSnapshot.Of(advance.Record), advance.Next);
    }
}

/// <summary>
/// One cluster's part of a round (<see cref="RotationStepRunner.RunOnTargetAsync"/>): it resolves only its own cluster
/// and loads any key by reference itself, so no key crosses the activity boundary; its answer is a few lines. An
/// unreachable cluster is an answer; a transient failure is thrown, and this cluster alone is retried.
/// </summary>
public sealed class RunTargetActivity(RotationStepRunner runner) : TaskActivity<TargetRequest, TargetResult<TargetPart>?>
{
    public override Task<TargetResult<TargetPart>?> RunAsync(TaskActivityContext context, TargetRequest input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return runner.RunOnTargetAsync(input.RotationId, input.Batch, input.Target);
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
