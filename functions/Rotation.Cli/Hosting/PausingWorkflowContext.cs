using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;

namespace Rotation.Cli;

/// <summary>
/// The CLI's view of the in-process workflow context: it waits for short gate retries, but a wait longer than the
/// operator allowed (a leaf-TTL rule can mean a day) ends the command with the rotation safely parked
/// (<see cref="GateRecheck.HostWaitUntil"/> decides; a gate a change can release is watched for up to --wait first);
/// `rotation resume` picks it up. A refused step needs no help here: the step runner records it and rethrows the
/// UnsafeStepException, which the CLI reports with exit code 3.
/// </summary>
public sealed class PausingWorkflowContext : IRotationWorkflowContext
{
    private readonly IRotationWorkflowContext _inner;
    private readonly TimeSpan _maxWait;

    public PausingWorkflowContext(IRotationWorkflowContext inner, TimeSpan maxWait)
    {
        _inner = inner;
        _maxWait = maxWait;
    }

    public DateTimeOffset CurrentUtcDateTime => _inner.CurrentUtcDateTime;

    /// <summary>Told before each wait this process sits out (not one that parks): the progress line says until when.</summary>
    public Action<DateTimeOffset>? OnWait { get; init; }

    public Task<RotationRecord> LoadAsync(string rotationId) => _inner.LoadAsync(rotationId);

    public Task<RotationRecord> RunStepAsync(string rotationId, RotationPhase phase) => _inner.RunStepAsync(rotationId, phase);

    public async Task DelayUntilAsync(DateTimeOffset fireAt)
    {
        var until = GateRecheck.HostWaitUntil(fireAt, CurrentUtcDateTime, _maxWait, wakesOnChange: false) ?? throw new RotationPausedException();
        OnWait?.Invoke(until);
        await _inner.DelayUntilAsync(until);
    }

    public bool SignalsChanges => _inner.SignalsChanges;

    /// <summary>
    /// A gate a change can release is waited for up to --wait even when its fallback deadline is later: a change
    /// re-checks it; no change by then parks the rotation as before.
    /// </summary>
    public async Task<bool> DelayUntilChangeAsync(string rotationId, DateTimeOffset fireAt)
    {
        var until = GateRecheck.HostWaitUntil(fireAt, CurrentUtcDateTime, _maxWait, _inner.SignalsChanges) ?? throw new RotationPausedException();
        OnWait?.Invoke(until);
        if (await _inner.DelayUntilChangeAsync(rotationId, until))
        {
            return true;
        }

        return until < fireAt ? throw new RotationPausedException() : false;
    }

    public Task<bool> WaitForApprovalAsync(string rotationId, RotationPhase phase) => _inner.WaitForApprovalAsync(rotationId, phase);
}

/// <summary>The driver stopped on purpose before a long wait. The record in the store is consistent.</summary>
public sealed class RotationPausedException : Exception
{
    public RotationPausedException()
        : base("the next check is later than --wait allows")
    {
    }
}
