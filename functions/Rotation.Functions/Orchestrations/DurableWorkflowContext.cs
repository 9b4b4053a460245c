using Microsoft.DurableTask;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Rotation.Core.Rotations.Evidence;
using Rotation.Core.Rotations.Steps;

namespace Rotation.Functions.Orchestrations;

/// <summary>
/// The engine's workflow port over a Durable orchestration: store reads and phase steps are activities, waits are
/// durable timers that an approval or abort event cuts short. One decision per generation: after a step or a wait
/// the context ends the generation (<see cref="GenerationEnded"/>), and the orchestrator continues as new with
/// <see cref="NextInput"/>, so the history stays the same size however long the rotation runs. A gate that a change can
/// release also wakes on <see cref="OrchestrationEvents.EstateChanged"/> (raised by the host's estate watch).
/// </summary>
internal sealed class DurableWorkflowContext(TaskOrchestrationContext context, RotationOrchestrationInput input) : IRotationWorkflowContext
{
    public DateTimeOffset CurrentUtcDateTime => new(DateTime.SpecifyKind(context.CurrentUtcDateTime, DateTimeKind.Utc));

    /// <summary>The last record this generation saw, as the activities return it (trimmed: see <see cref="RecordSnapshot"/>).</summary>
    public RecordSnapshot? LastSnapshot { get; private set; }

    private RotationRecord? Last => LastSnapshot?.Record;

    public async Task<RotationRecord> LoadAsync(string rotationId)
    {
        LastSnapshot = await context.CallActivityAsync<RecordSnapshot>(nameof(LoadRotationActivity), rotationId, RetryPolicies.StoreCallOptions);
        return LastSnapshot.Record;
    }

    /// <summary>
    /// A phase step as cluster activities: this generation runs the batch the last one planned (at most the parallelism
    /// cap of clusters, at once), then one <see cref="AdvancePhaseActivity"/> takes their answers and plans the next
    /// batch or commits the step. So a slow or failing cluster is retried alone, and each generation's history holds
    /// at most one batch whatever the estate's size; the answers gathered so far wait in the store's record.
    /// </summary>
    public async Task<RotationRecord> RunStepAsync(string rotationId, RotationPhase phase)
    {
        RoundAnswers? answers = null;
        if (input.Batch is { } batch && batch.Phase == phase)
        {
            var parts = await Task.WhenAll(batch.Targets.Select(target => RunTargetAsync(rotationId, batch, target)));
            answers = new RoundAnswers(batch, [.. parts.OfType<TargetResult<TargetPart>>()]);
        }

        try
        {
            var advance = await context.CallActivityAsync<PhaseAdvance>(nameof(AdvancePhaseActivity), new AdvanceRequest(rotationId, phase, answers), RetryPolicies.StoreCallOptions);
            LastSnapshot = advance.Snapshot;
            _nextBatch = advance.Next;
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

    /// <summary>One cluster's answer; a failure that outlived its retries is that cluster's answer too (unavailable), not the phase's.</summary>
    private async Task<TargetResult<TargetPart>?> RunTargetAsync(string rotationId, RoundBatch batch, string target)
    {
        try
        {
            return await context.CallActivityAsync<TargetResult<TargetPart>?>(nameof(RunTargetActivity), new TargetRequest(rotationId, batch, target), RetryPolicies.ClusterCallOptions);
        }
        catch (TaskFailedException ex)
        {
            return TargetResult.Unavailable<TargetPart>(target, $"{ex.FailureDetails.ErrorType}: {FirstLine(ex.FailureDetails.ErrorMessage)}");
        }
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }

    public async Task DelayUntilAsync(DateTimeOffset fireAt)
    {
        var cap = CurrentUtcDateTime + input.RecheckAfter;
        var until = fireAt < cap ? fireAt : cap;
        var signal = await WaitForSignalAsync(Last?.Id ?? input.RotationId, until, Last?.Gate?.Reason);
        throw new GenerationEnded(Progress(null, fireAt, signal));
    }

    /// <summary>The orchestration listens for <see cref="OrchestrationEvents.EstateChanged"/>; whether one comes depends on the host's relay (the timer still bounds the wait).</summary>
    public bool SignalsChanges => true;

    /// <summary>
    /// A gate that a change can release waits for the first of: its timer (the <see cref="GateRecheck"/> deadline,
    /// capped at the recheck interval), an <see cref="OrchestrationEvents.EstateChanged"/> event newer than the last
    /// check, an approval or an abort. A change ends the generation with <see cref="RotationOrchestrationInput.ChangePending"/>,
    /// and the next generation answers true here at once, so the driver runs the step. Ending the generation right
    /// after the wait means no cancelled event waiter outlives it (a cancelled waiter would swallow a later event).
    /// </summary>
    public async Task<bool> DelayUntilChangeAsync(string rotationId, DateTimeOffset fireAt)
    {
        if (input.ChangePending)
        {
            return true;
        }

        var cap = CurrentUtcDateTime + input.RecheckAfter;
        var until = fireAt < cap ? fireAt : cap;
        var holding = Last?.Gate?.Reason;
        var wake = await WaitAsync(rotationId, until, holding, wakeOnChange: true);
        if (wake.Change is { } change)
        {
            _changed = true;
            _wokenBy = $"a change on {(change.Clusters.Count == 0 ? "the estate" : string.Join(", ", change.Clusters))} (observed {change.ObservedAt:u})";
            throw new GenerationEnded(Progress(holding, until, null));
        }

        throw new GenerationEnded(Progress(null, fireAt, wake.Signal));
    }

    public async Task<bool> WaitForApprovalAsync(string rotationId, RotationPhase phase)
    {
        var until = CurrentUtcDateTime + input.RecheckAfter;
        var reason = $"{phase} waits for an approval (POST /api/rotations/{rotationId}/approve)";
        var signal = await WaitForSignalAsync(rotationId, until, reason);
        throw new GenerationEnded(Progress(signal is null ? reason : null, until, signal));
    }

    /// <summary>The next generation's input: what woke this one, and when the last check started.</summary>
    public RotationOrchestrationInput NextInput() => input with
    {
        Generation = input.Generation + 1,
        ChangePending = _changed,
        WokenBy = _wokenBy ?? input.WokenBy,
        // A generation that did not wait ran a step (a check); changes observed before it began were seen by it.
        LastCheckFrom = _waited ? input.LastCheckFrom : _startedAt,
        Batch = _nextBatch,
    };

    private readonly DateTimeOffset _startedAt = new(DateTime.SpecifyKind(context.CurrentUtcDateTime, DateTimeKind.Utc));
    private bool _waited;
    private RoundBatch? _nextBatch;
    private bool _changed;
    private string? _wokenBy;

    /// <summary>
    /// Waits until <paramref name="until"/> or an approve/abort event, whichever comes first. An event is recorded in
    /// the store by an activity (idempotent: the HTTP API recorded it already when it came from there), so raising
    /// the event alone is enough, and a lost event is recovered when the timer fires and the record is re-read.
    /// </summary>
    private async Task<string?> WaitForSignalAsync(string rotationId, DateTimeOffset until, string? holding) =>
        (await WaitAsync(rotationId, until, holding, wakeOnChange: false)).Signal;

    /// <summary>What ended a wait: the timer (both null), a recorded approve/abort (<see cref="Signal"/>), or a change.</summary>
    private readonly record struct Wake(string? Signal, EstateChangedSignal? Change);

    /// <summary>
    /// A change observed this long before the last check began still counts: the relay's clock and the orchestration's
    /// may differ a little, and one look too many is cheap while a missed change costs a whole backoff.
    /// </summary>
    private static readonly TimeSpan ClockAllowance = TimeSpan.FromSeconds(2);

    private async Task<Wake> WaitAsync(string rotationId, DateTimeOffset until, string? holding, bool wakeOnChange)
    {
        _waited = true;
        if (LastSnapshot is { } last)
        {
            context.SetCustomStatus(RotationProgress.From(last, input.Generation, holding, until) with { WakesOnChange = wakeOnChange, WokenBy = input.WokenBy });
        }

        using var cancel = new CancellationTokenSource();
        var timer = context.CreateTimer(until.UtcDateTime, cancel.Token);
        var approve = context.WaitForExternalEvent<ApprovalSignal>(OrchestrationEvents.Approve, cancel.Token);
        var abort = context.WaitForExternalEvent<AbortSignal>(OrchestrationEvents.Abort, cancel.Token);
        Task winner;
        while (true)
        {
            if (!wakeOnChange)
            {
                winner = await Task.WhenAny(timer, approve, abort);
                break;
            }

            // Changes raised while the orchestration was busy wait in its event buffer (and ContinueAsNew carries them);
            // one observed before the last check began tells nothing new, so it is taken and the wait goes on.
            var changed = context.WaitForExternalEvent<EstateChangedSignal>(OrchestrationEvents.EstateChanged, cancel.Token);
            winner = await Task.WhenAny(timer, approve, abort, changed);
            if (winner != changed)
            {
                break;
            }

            var change = await changed;
            if (input.LastCheckFrom is not { } checkedFrom || change.ObservedAt >= checkedFrom - ClockAllowance)
            {
                cancel.Cancel();
                return new Wake(null, change);
            }
        }

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
            _wokenBy = $"the timer (check due {until:u})";
            return default;
        }

        var outcome = await context.CallActivityAsync<SignalOutcome>(nameof(RecordSignalActivity), signal, RetryPolicies.StoreCallOptions);
        _wokenBy = $"{(signal.Approval is null ? OrchestrationEvents.Abort : OrchestrationEvents.Approve)} event: {outcome.Detail}";
        return new Wake(outcome.Detail, null);
    }

    private RotationProgress? Progress(string? holding, DateTimeOffset? nextCheck, string? signal) =>
        LastSnapshot is null ? null : RotationProgress.From(LastSnapshot, input.Generation + 1, holding, nextCheck, signal) with { WokenBy = _wokenBy ?? input.WokenBy };
}

/// <summary>Ends an orchestration generation; the orchestrator catches it and continues as new.</summary>
internal sealed class GenerationEnded(RotationProgress? progress) : Exception("the orchestration generation ended; continuing as new")
{
    public RotationProgress? Progress { get; } = progress;
}
