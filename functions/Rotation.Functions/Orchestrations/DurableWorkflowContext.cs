using Microsoft.DurableTask;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;

namespace Rotation.Functions.Orchestrations;

/// <summary>
/// The engine's workflow port over a Durable orchestration: store reads and phase steps are activities, waits are
/// durable timers that an approval or abort event cuts short. One decision per generation: after a step or a wait
/// the context ends the generation (<see cref="GenerationEnded"/>), and the orchestrator continues as new, so the
/// history stays the same size however long the rotation runs.
/// </summary>
internal sealed class DurableWorkflowContext(TaskOrchestrationContext context, RotationOrchestrationInput input) : IRotationWorkflowContext
{
    public DateTimeOffset CurrentUtcDateTime => new(DateTime.SpecifyKind(context.CurrentUtcDateTime, DateTimeKind.Utc));

    /// <summary>The last record this generation saw.</summary>
    public RotationRecord? Last { get; private set; }

    public async Task<RotationRecord> LoadAsync(string rotationId)
    {
        Last = await context.CallActivityAsync<RotationRecord>(nameof(LoadRotationActivity), rotationId, RetryPolicies.StoreCallOptions);
        return Last;
    }

    public async Task<RotationRecord> RunStepAsync(string rotationId, RotationPhase phase)
    {
        try
        {
            Last = await context.CallActivityAsync<RotationRecord>(nameof(RunPhaseActivity), new PhaseStepRequest(rotationId, phase), RetryPolicies.PhaseStepOptions);
        }
        catch (TaskFailedException ex)
        {
            // A permanent failure (or a transient one that outlived its retries): hold the phase with the reason,
            // as the CLI does, and try again after the recheck interval or as soon as an operator signals.
            var reason = $"{phase} step failed: {ex.FailureDetails.ErrorType}: {ex.FailureDetails.ErrorMessage}";
            var until = CurrentUtcDateTime + input.RecheckAfter;
            var signal = await WaitForSignalAsync(rotationId, until, reason);
            throw new GenerationEnded(Progress(reason, until, signal));
        }

        throw new GenerationEnded(Progress(null, null, null));
    }

    public async Task DelayUntilAsync(DateTimeOffset fireAt)
    {
        var cap = CurrentUtcDateTime + input.RecheckAfter;
        var until = fireAt < cap ? fireAt : cap;
        var signal = await WaitForSignalAsync(Last?.Id ?? input.RotationId, until, Last?.Gate?.Reason);
        throw new GenerationEnded(Progress(null, fireAt, signal));
    }

    public async Task<bool> WaitForApprovalAsync(string rotationId, RotationPhase phase)
    {
        var until = CurrentUtcDateTime + input.RecheckAfter;
        var reason = $"{phase} waits for an approval (POST /api/rotations/{rotationId}/approve)";
        var signal = await WaitForSignalAsync(rotationId, until, reason);
        throw new GenerationEnded(Progress(signal is null ? reason : null, until, signal));
    }

    /// <summary>
    /// Waits until <paramref name="until"/> or an approve/abort event, whichever comes first. An event is recorded in
    /// the store by an activity (idempotent: the HTTP API recorded it already when it came from there), so raising
    /// the event alone is enough, and a lost event is recovered when the timer fires and the record is re-read.
    /// </summary>
    private async Task<string?> WaitForSignalAsync(string rotationId, DateTimeOffset until, string? holding)
    {
        if (Last is { } last)
        {
            context.SetCustomStatus(RotationProgress.From(last, input.Generation, holding, until));
        }

        using var cancel = new CancellationTokenSource();
        var timer = context.CreateTimer(until.UtcDateTime, cancel.Token);
        var approve = context.WaitForExternalEvent<ApprovalSignal>(OrchestrationEvents.Approve, cancel.Token);
        var abort = context.WaitForExternalEvent<AbortSignal>(OrchestrationEvents.Abort, cancel.Token);
        var winner = await Task.WhenAny(timer, approve, abort);
        cancel.Cancel();

        RotationSignal? signal = null;
        if (winner == approve)
        {
            signal = new RotationSignal(rotationId, await approve, null);
        }
        else if (winner == abort)
        {
            signal = new RotationSignal(rotationId, null, await abort);
        }

        if (signal is null)
        {
            return null;
        }

        var outcome = await context.CallActivityAsync<SignalOutcome>(nameof(RecordSignalActivity), signal, RetryPolicies.StoreCallOptions);
        return outcome.Detail;
    }

    private RotationProgress? Progress(string? holding, DateTimeOffset? nextCheck, string? signal) =>
        Last is null ? null : RotationProgress.From(Last, input.Generation + 1, holding, nextCheck, signal);
}

/// <summary>Ends an orchestration generation; the orchestrator catches it and continues as new.</summary>
internal sealed class GenerationEnded(RotationProgress? progress) : Exception("the orchestration generation ended; continuing as new")
{
    public RotationProgress? Progress { get; } = progress;
}
