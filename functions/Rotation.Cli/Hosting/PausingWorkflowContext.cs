using Rotation.Core.Ports;
using Rotation.Core.Rotations;

namespace Rotation.Cli;

/// <summary>
/// The CLI's view of the in-process workflow context: it waits for short gate retries, but a wait longer than the
/// operator allowed (a leaf-TTL rule can mean a day) or a refused step ends the command with the rotation safely
/// parked; `rotation resume` picks it up.
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

    public Task<RotationRecord> LoadAsync(string rotationId) => _inner.LoadAsync(rotationId);

    public async Task<RotationRecord> RunStepAsync(string rotationId, RotationPhase phase)
    {
        var record = await _inner.RunStepAsync(rotationId, phase);
        if (record.Gate is { } gate && gate.Reason.StartsWith(RefusedPrefix, StringComparison.Ordinal))
        {
            throw new RotationPausedException(record, refused: true);
        }

        return record;
    }

    public async Task DelayUntilAsync(DateTimeOffset fireAt)
    {
        if (fireAt - CurrentUtcDateTime > _maxWait)
        {
            throw new RotationPausedException(null, refused: false);
        }

        await _inner.DelayUntilAsync(fireAt);
    }

    public Task<bool> WaitForApprovalAsync(string rotationId, RotationPhase phase) => _inner.WaitForApprovalAsync(rotationId, phase);

    /// <summary>How the step runner marks a gate that holds because the step was refused as unsafe.</summary>
    public const string RefusedPrefix = "refused: ";
}

/// <summary>The driver stopped on purpose: a long wait or a refusal. The record in the store is consistent.</summary>
public sealed class RotationPausedException : Exception
{
    public RotationPausedException(RotationRecord? record, bool refused)
        : base(refused ? "the step was refused as unsafe" : "the next check is later than --wait allows")
    {
        Record = record;
        Refused = refused;
    }

    public RotationRecord? Record { get; }
    public bool Refused { get; }
}
