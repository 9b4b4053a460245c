using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Rotation.Core.Tests.Rotations.Support;

namespace Rotation.Core.Tests.Rotations;

/// <summary>
/// When a holding gate looks again (GateRecheck, the one place that decides): the first of a change a target
/// signals, the fallback deadline, or the gate's own time rule.
/// </summary>
public sealed class GateRecheckTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 6, 0, 0, TimeSpan.Zero);
    private static readonly RotationPolicy Policy = new() { GateRetryInitial = TimeSpan.FromSeconds(30), GateRetryMax = TimeSpan.FromMinutes(10) };

    [Fact]
    public void Evidence_that_holds_a_gate_is_rechecked_at_the_backoff_deadline_or_on_a_change()
    {
        var gate = GateRecheck.Schedule(Policy, RotationPhase.VerifyTrust, "ns-2 lacks B", attempts: 3, timeRule: null, Now);

        Assert.Equal(Now.AddMinutes(2), gate.NextCheckAt);
        Assert.Null(gate.TimeRuleAt);
        Assert.True(gate.WakesOnChange);
        Assert.Equal(new RotationDecision.WaitUntil(Now.AddMinutes(2), "ns-2 lacks B", WakeOnChange: true), GateRecheck.Wait(gate, Now, changed: false));
        Assert.Null(GateRecheck.Wait(gate, Now, changed: true));
        Assert.Null(GateRecheck.Wait(gate, Now.AddMinutes(2), changed: false));
    }

    [Fact]
    public void A_gate_only_the_clock_holds_waits_for_its_time_rule_and_ignores_changes()
    {
        var rule = Now.AddHours(25);
        var gate = GateRecheck.Schedule(Policy, RotationPhase.VerifyLeaves, "waiting for the time rule", attempts: 1, rule, Now);

        Assert.Equal(rule, gate.NextCheckAt);
        Assert.Equal(rule, gate.TimeRuleAt);
        Assert.False(gate.WakesOnChange);
        Assert.Equal(new RotationDecision.WaitUntil(rule, "waiting for the time rule", WakeOnChange: false), GateRecheck.Wait(gate, Now, changed: true));
        Assert.Null(GateRecheck.Wait(gate, rule, changed: false));
    }

    [Fact]
    public void A_time_rule_already_met_falls_back_to_the_backoff()
    {
        var gate = GateRecheck.Schedule(Policy, RotationPhase.VerifyLeaves, "x", attempts: 1, Now.AddSeconds(-1), Now);

        Assert.Equal(Now.AddSeconds(30), gate.NextCheckAt);
        Assert.True(gate.WakesOnChange);
    }

    [Theory]
    [InlineData(30, 600)]     // rotate --gate-retry 30s keeps the policy's 10 minute ceiling
    [InlineData(1200, 1200)]  // a first retry longer than the ceiling becomes the ceiling
    public void Gate_retry_sets_the_first_wait_and_keeps_the_ceiling(int retrySeconds, int expectedMaxSeconds)
    {
        var policy = GateRecheck.WithRetry(new RotationPolicy(), TimeSpan.FromSeconds(retrySeconds));

        Assert.Equal(TimeSpan.FromSeconds(retrySeconds), policy.GateRetryInitial);
        Assert.Equal(TimeSpan.FromSeconds(expectedMaxSeconds), policy.GateRetryMax);
    }

    [Fact]
    public void A_host_with_a_short_wait_watches_for_a_change_only_when_one_can_release_the_gate()
    {
        var far = Now.AddMinutes(10);

        Assert.Equal(Now.AddSeconds(20), GateRecheck.HostWaitUntil(Now.AddSeconds(20), Now, TimeSpan.FromMinutes(1), wakesOnChange: false));
        Assert.Null(GateRecheck.HostWaitUntil(far, Now, TimeSpan.FromMinutes(1), wakesOnChange: false));
        Assert.Equal(Now.AddMinutes(1), GateRecheck.HostWaitUntil(far, Now, TimeSpan.FromMinutes(1), wakesOnChange: true));
        Assert.Null(GateRecheck.HostWaitUntil(far, Now, TimeSpan.Zero, wakesOnChange: true));
    }

    [Fact]
    public async Task A_change_signal_releases_a_holding_gate_without_waiting_for_its_deadline()
    {
        var h = await EngineHarness.CreateAsync();
        var r = await h.StartAsync();
        var signals = new Signals();
        var phases = new List<RotationPhase?>();
        var reachedSwitch = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var context = new InProcessWorkflowContext(h.Runner, h.Time, (id, phase, ct) => ApproveAsync(h, id, phase, ct), stop.Token)
        {
            Changes = signals,
            OnRecord = record =>
            {
                if (record.Gate is { Phase: RotationPhase.VerifyTrust })
                    held.TrySetResult();
                if (record.CurrentPhase == RotationPhase.SwitchIssuer)
                    reachedSwitch.TrySetResult();
            },
        };

        // The fake clock never moves: only a change can get the driver past the holding VerifyTrust gate.
        var driving = Task.Run(() => RotationDriver.RunAsync(context, r.Id));
        await held.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var heldAt = h.Time.GetUtcNow();
        foreach (var mesh in h.Meshes)
            mesh.Propagate();
        signals.Signal.Raise();

        await reachedSwitch.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(heldAt, h.Time.GetUtcNow());
        var record = await h.RecordAsync(r.Id);
        Assert.NotEqual(RotationPhase.VerifyTrust, record.CurrentPhase);
        Assert.Contains(record.Audit, a => a.Phase == RotationPhase.VerifyTrust && a.Event == Rotation.Core.Events.EventTypes.PhaseCompleted);

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => driving);
    }

    private static async Task<bool> ApproveAsync(EngineHarness h, string id, RotationPhase phase, CancellationToken ct)
    {
        await h.Service.ApproveAsync(id, phase, "test", ct);
        return true;
    }

    private sealed class Signals : ITargetChangeSignals
    {
        public ChangeSignal Signal { get; } = new();

        public ChangeMark Mark(string domain) => new([Signal]);
    }
}
