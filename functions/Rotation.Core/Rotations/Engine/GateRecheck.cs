namespace Rotation.Core.Rotations.Engine;

/// <summary>
/// When a holding gate is looked at again: decided here and nowhere else. A gate re-checks at the first of
/// <list type="bullet">
/// <item>a change a target signals (its watch saw a trust store, a Secret, a pod... change), when a change can release it;</item>
/// <item>the fallback deadline: exponential backoff from <see cref="RotationPolicy.GateRetryInitial"/> to
/// <see cref="RotationPolicy.GateRetryMax"/>, for targets that signal nothing and for a signal that got lost;</item>
/// <item>the gate's own time rule (leaf TTL plus grace, a recorded leaf's expiry), when only the clock holds it: a
/// change cannot help then, so it is not waited for.</item>
/// </list>
/// The schedule is written into the record (<see cref="GateState"/>), so a Durable orchestration replays it exactly;
/// only "a change came" is the host's, and a host that cannot await one uses the deadline alone.
/// </summary>
public static class GateRecheck
{
    /// <summary>The gate state recorded when <paramref name="phase"/> holds for the <paramref name="attempts"/>-th time in a row.</summary>
    /// <param name="timeRule">When the gate's time rule is met, if only the clock holds it.</param>
    public static GateState Schedule(RotationPolicy policy, RotationPhase phase, string reason, int attempts, DateTimeOffset? timeRule, DateTimeOffset now) =>
        timeRule is { } rule && rule > now
            ? new GateState(phase, reason, attempts, rule, rule)
            : new GateState(phase, reason, attempts, now + policy.GateBackoff(attempts));

    /// <summary>
    /// What the driver does about a gate that holds on the current phase: wait (until when, and whether a change ends
    /// the wait), or null to run the step again now (the deadline passed, or a change came and can release it).
    /// </summary>
    public static RotationDecision.WaitUntil? Wait(GateState gate, DateTimeOffset now, bool changed)
    {
        if (gate.NextCheckAt <= now || (changed && gate.WakesOnChange))
        {
            return null;
        }

        return new RotationDecision.WaitUntil(gate.NextCheckAt, gate.Reason, gate.WakesOnChange);
    }

    /// <summary>
    /// A policy whose first re-check comes after <paramref name="retry"/> (rotate --gate-retry); the backoff still
    /// rises to the policy's maximum, or to <paramref name="retry"/> itself when that is longer.
    /// </summary>
    public static RotationPolicy WithRetry(RotationPolicy policy, TimeSpan retry) => policy with
    {
        GateRetryInitial = retry,
        GateRetryMax = retry > policy.GateRetryMax ? retry : policy.GateRetryMax,
    };

    /// <summary>
    /// How long a host that gives up after <paramref name="maxWait"/> (rotate --wait) sits out a wait due at
    /// <paramref name="fireAt"/>: until then when it is within reach; else until <paramref name="maxWait"/> from now
    /// when a change can end the wait sooner (<paramref name="wakesOnChange"/>, and the host hears changes); else not at
    /// all (null: park now, the record says when to resume).
    /// </summary>
    public static DateTimeOffset? HostWaitUntil(DateTimeOffset fireAt, DateTimeOffset now, TimeSpan maxWait, bool wakesOnChange)
    {
        if (fireAt - now <= maxWait)
        {
            return fireAt;
        }

        return wakesOnChange && maxWait > TimeSpan.Zero ? now + maxWait : null;
    }
}
