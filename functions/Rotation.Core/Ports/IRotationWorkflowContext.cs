using Rotation.Core.Rotations;

namespace Rotation.Core.Ports;

/// <summary>
/// What the rotation driver needs from its host. The CLI implements it directly; Durable Functions implements it
/// over its orchestration context (activities, durable timers, external events). All nondeterminism lives behind
/// it, so the driver is safe to replay.
/// </summary>
public interface IRotationWorkflowContext
{
    /// <summary>Deterministic "now" (the orchestration's current time under Durable).</summary>
    DateTimeOffset CurrentUtcDateTime { get; }

    /// <summary>Activity: reads the record.</summary>
    Task<RotationRecord> LoadAsync(string rotationId);

    /// <summary>Activity: runs the current phase's step once (idempotent) and returns the committed record.</summary>
    Task<RotationRecord> RunStepAsync(string rotationId, RotationPhase phase);

    /// <summary>Durable timer.</summary>
    Task DelayUntilAsync(DateTimeOffset fireAt);

    /// <summary>True when <see cref="DelayUntilChangeAsync"/> can end before its deadline (the host awaits change signals).</summary>
    bool SignalsChanges => false;

    /// <summary>
    /// Waits until <paramref name="fireAt"/> (the gate's fallback deadline) or until a target of the rotation signals a
    /// change since its last step ran, whichever comes first; true when a change ended the wait. A host that cannot
    /// await a signal (a Durable orchestration) keeps the default: the timer alone, so re-checks stay on the
    /// deterministic schedule <see cref="Rotations.Engine.GateRecheck"/> recorded.
    /// </summary>
    async Task<bool> DelayUntilChangeAsync(string rotationId, DateTimeOffset fireAt)
    {
        await DelayUntilAsync(fireAt);
        return false;
    }

    /// <summary>
    /// Waits for an approval of <paramref name="phase"/> to be recorded. Returns false when the host does not wait
    /// (the CLI): the driver then stops, and a later resume picks up once the approval is in the record.
    /// </summary>
    Task<bool> WaitForApprovalAsync(string rotationId, RotationPhase phase);
}
