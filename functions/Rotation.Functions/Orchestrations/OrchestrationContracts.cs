using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;

namespace Rotation.Functions.Orchestrations;

/// <summary>
/// The orchestration's input, carried from generation to generation by ContinueAsNew. It holds ids and settings
/// only: never key material, never the record (that is re-read from the store, the single source of truth).
/// </summary>
/// <param name="RotationId">Also the instance id.</param>
/// <param name="RecheckAfter">The longest any wait lasts before the record is re-read: it bounds how late a missed approval or abort event is noticed.</param>
/// <param name="Generation">How many times the orchestration has continued as new (0 for the first run).</param>
/// <param name="ChangePending">The previous generation's gate wait was ended by an <see cref="OrchestrationEvents.EstateChanged"/> event: look again at once.</param>
/// <param name="LastCheckFrom">When the generation that ran the last phase step started: a change observed before it was already seen by that step.</param>
/// <param name="WokenBy">What ended the last wait (timer, a change, an approval, an abort), for the custom status.</param>
/// <param name="Batch">The clusters the next generation runs its cluster activities on (names only; at most the parallelism cap).</param>
public sealed record RotationOrchestrationInput(string RotationId, TimeSpan RecheckAfter, int Generation = 0, bool ChangePending = false, DateTimeOffset? LastCheckFrom = null, string? WokenBy = null, RoundBatch? Batch = null);

/// <summary>What the orchestration returns when the rotation is finished.</summary>
public sealed record RotationOrchestrationOutcome(string RotationId, RotationStatus Status, string? FailureReason);

/// <summary><see cref="AdvancePhaseActivity"/>'s input: the phase, and what the last batch's cluster activities answered.</summary>
public sealed record AdvanceRequest(string RotationId, RotationPhase Phase, RoundAnswers? Answers);

/// <summary><see cref="AdvancePhaseActivity"/>'s output: the record as a snapshot, and the next batch (null once the step is committed).</summary>
public sealed record PhaseAdvance(RecordSnapshot Snapshot, RoundBatch? Next);

/// <summary><see cref="RunTargetActivity"/>'s input: one target of a batch.</summary>
public sealed record TargetRequest(string RotationId, RoundBatch Batch, string Target);

/// <summary>External event <see cref="OrchestrationEvents.Approve"/>: approve <paramref name="Phase"/> (null = the current phase).</summary>
public sealed record ApprovalSignal(RotationPhase? Phase, string By);

/// <summary>External event <see cref="OrchestrationEvents.Abort"/>.</summary>
public sealed record AbortSignal(string By);

/// <summary>What recording a signal in the store did: accepted, or refused with the engine's reason (a value, not an exception).</summary>
public sealed record SignalOutcome(bool Accepted, string Detail);

/// <summary>Activity input for recording a signal against a rotation.</summary>
public sealed record RotationSignal(string RotationId, ApprovalSignal? Approval, AbortSignal? Abort);

/// <summary>External event names. Event names are case-insensitive in Durable; these are the spelling the HTTP API uses.</summary>
public static class OrchestrationEvents
{
    public const string Approve = "approve";
    public const string Abort = "abort";

    /// <summary>Raised by <see cref="Hosting.EstateChangeRelay"/> when a watched object of the rotation's clusters changed (<see cref="EstateChangedSignal"/>).</summary>
    public const string EstateChanged = "estate-changed";
}
