using Rotation.Core.Ports;

namespace Rotation.Core.Rotations.Engine;

/// <summary>
/// The CLI's workflow context: activities are direct calls, timers are delays on the <see cref="TimeProvider"/>,
/// and approvals are not waited for (the process ends; `rotation approve` then `rotation resume` continue).
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

    public async Task<RotationRecord> LoadAsync(string rotationId) => Seen(await runner.LoadAsync(rotationId, cancellationToken));

    public async Task<RotationRecord> RunStepAsync(string rotationId, RotationPhase phase) => Seen(await runner.RunAsync(rotationId, phase, cancellationToken));

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
        OnRecord?.Invoke(record);
        return record;
    }
}
