namespace Rotation.Core.Rotations.Engine;

/// <summary>What the driver does next. Produced by <see cref="RotationDecider"/> from the record and the time alone.</summary>
public abstract record RotationDecision
{
    private RotationDecision() { }

    /// <summary>Run the current phase's step (an idempotent activity).</summary>
    public sealed record RunStep(RotationPhase Phase) : RotationDecision;

    /// <summary>
    /// A gate is holding or a time rule is pending: look again at <paramref name="Until"/>, or as soon as a target
    /// signals a change when <paramref name="WakeOnChange"/> (see <see cref="GateRecheck"/>).
    /// </summary>
    public sealed record WaitUntil(DateTimeOffset Until, string Reason, bool WakeOnChange = false) : RotationDecision;

    /// <summary>The phase may not start until someone approves it.</summary>
    public sealed record AwaitApproval(RotationPhase Phase) : RotationDecision;

    /// <summary>Completed, aborted or failed: nothing left to do.</summary>
    public sealed record Finished(RotationStatus Status) : RotationDecision;
}
