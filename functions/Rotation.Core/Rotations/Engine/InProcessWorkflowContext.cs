using Rotation.Core.Ports;

namespace Rotation.Core.Rotations.Engine;

/// <summary>
/// The CLI's workflow context: activities are direct calls, timers are delays on the <see cref="TimeProvider"/>,
/// and approvals are not waited for (the process ends; `rotation approve` then `rotation resume` continue). With
/// <see cref="Changes"/> a holding gate's wait also ends at the first change the targets signal after its last check.
/// </summary>
public sealed class InProcessWorkflowContext(
    RotationStepRunner runner,
    TimeProvider time,
    Func<string, RotationPhase, CancellationToken, Task<bool>>? approvalHandler = null,
    CancellationToken cancellationToken = default) : IRotationWorkflowContext
{
    public DateTimeOffset CurrentUtcDateTime => time.GetUtcNow();

    /// <summary>Called after every record the driver sees (progress display, the drill's phase tracking).</summary>
    public Action<RotationRecord>? OnRecord { get; init; }

    /// <summary>The targets' change signals (the resolver, when it implements them); null waits for the deadline alone.</summary>
    public ITargetChangeSignals? Changes { get; init; }

    public bool SignalsChanges => Changes is not null;

    private string? _domain;
    private ChangeMark? _mark;

    public async Task<RotationRecord> LoadAsync(string rotationId) => Seen(await runner.LoadAsync(rotationId, cancellationToken));

    public async Task<RotationRecord> RunStepAsync(string rotationId, RotationPhase phase)
    {
        // Marked before the step reads its evidence, so a change while it reads still wakes the next wait.
        _mark = Changes is { } changes && _domain is { } domain ? changes.Mark(domain) : null;
        return Seen(await runner.RunAsync(rotationId, phase, cancellationToken));
    }

    public async Task<bool> DelayUntilChangeAsync(string rotationId, DateTimeOffset fireAt)
    {
        if (_mark is not { } mark)
        {
            await DelayUntilAsync(fireAt);
            return false;
        }

        var wait = fireAt - time.GetUtcNow();
        if (mark.Changed || wait <= TimeSpan.Zero)
        {
            return mark.Changed;
        }

        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var changed = mark.WaitAsync(done.Token);
        var deadline = Task.Delay(wait, time, done.Token);
        var first = await Task.WhenAny(changed, deadline);
        await done.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
        return first == changed;
    }

    public async Task DelayUntilAsync(DateTimeOffset fireAt)
    {
        var wait = fireAt - time.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, time, cancellationToken);
        }
    }

    public Task<bool> WaitForApprovalAsync(string rotationId, RotationPhase phase) =>
        approvalHandler is null ? Task.FromResult(false) : approvalHandler(rotationId, phase, cancellationToken);

    private RotationRecord Seen(RotationRecord record)
    {
        _domain = record.Domain;
        OnRecord?.Invoke(record);
        return record;
    }
}
