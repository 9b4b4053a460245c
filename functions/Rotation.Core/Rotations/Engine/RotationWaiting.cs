namespace Rotation.Core.Rotations.Engine;

/// <summary>
/// What a rotation waits for right now, in words an operator acts on: an approval, a gate that holds (with its
/// reason and when it is checked again), nothing (the next step can run on resume), or nothing ever (finished).
/// Derived from the record and the time alone, through <see cref="RotationDecider"/>, so status says what the
/// driver would do.
/// </summary>
public sealed record RotationWaiting(
    RotationWaitKind Kind,
    RotationPhase? Phase,
    string Summary,
    DateTimeOffset? Until,
    string? Reason,
    string? Next)
{
    public static RotationWaiting Of(RotationRecord record, DateTimeOffset now) => RotationDecider.Decide(record, now) switch
    {
        RotationDecision.AwaitApproval approval => new(
            RotationWaitKind.Approval,
            approval.Phase,
            $"an approval of {approval.Phase}",
            null,
            $"{approval.Phase} is approved by a person before it runs",
            $"rotation approve {record.Id} --phase {approval.Phase}"),
        RotationDecision.WaitUntil wait => new(
            RotationWaitKind.Gate,
            record.CurrentPhase,
            $"gate {record.CurrentPhase} to release; checked again at {wait.Until.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC",
            wait.Until,
            wait.Reason,
            $"rotation resume {record.Id} --wait DURATION (or let the scheduled driver run it)"),
        RotationDecision.RunStep step => new(
            RotationWaitKind.Ready,
            step.Phase,
            record.Gate is { } gate && gate.Phase == step.Phase
                ? $"nothing: {step.Phase} held before and is due to be checked again now"
                : $"nothing: {step.Phase} can run now",
            null,
            record.Gate is { } held && held.Phase == step.Phase ? held.Reason : null,
            $"rotation resume {record.Id}"),
        _ => new(RotationWaitKind.Finished, null, $"nothing: the rotation is {record.Status.ToString().ToLowerInvariant()}", null, record.FailureReason, null),
    };
}

public enum RotationWaitKind
{
    /// <summary>A phase that needs an approval has none yet.</summary>
    Approval,
    /// <summary>A gate held (evidence, or a time rule) and is not due to be checked again yet.</summary>
    Gate,
    /// <summary>Nothing blocks: the next step runs when the rotation is resumed.</summary>
    Ready,
    Finished,
}
