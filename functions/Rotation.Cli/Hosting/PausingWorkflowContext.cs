using Rotation.Core.Ports;
using Rotation.Core.Rotations;

namespace Rotation.Cli;

/// <summary>
/// The CLI's view of the in-process workflow context: it waits for short gate retries, but a wait longer than the
/// operator allowed (a leaf-TTL rule can mean a day) ends the command with the rotation safely parked;
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
        if (fireAt - CurrentUtcDateTime > _maxWait)
        {
            throw new RotationPausedException();
        }

        OnWait?.Invoke(fireAt);
        await _inner.DelayUntilAsync(fireAt);
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
