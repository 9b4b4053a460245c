using Microsoft.Extensions.Time.Testing;
using Rotation.Core.Rotations;
using Rotation.Drill.Drills;
using Rotation.Drill.Estate;

namespace Rotation.Drill.Tests;

/// <summary>The drill's gate-release figure: from "every piece of evidence is in place" to "gate released".</summary>
public sealed class GateReleaseTrackerTests
{
    private static readonly RotationPhase[] Plan = [RotationPhase.Prepare, RotationPhase.DistributeTrust, RotationPhase.VerifyTrust, RotationPhase.SwitchIssuer, RotationPhase.VerifyLeaves];

    [Fact]
    public void A_gate_is_timed_from_the_estate_settling_to_its_release()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 6, 0, 0, TimeSpan.Zero));
        var waits = new MandatoryWaitTracker();
        var gates = new GateReleaseTracker(waits, time);

        gates.Observe(At(1));                         // DistributeTrust
        var push = waits.Open(time.GetUtcNow());
        time.Advance(TimeSpan.FromMilliseconds(10));
        gates.Observe(At(2));                         // VerifyTrust entered
        time.Advance(TimeSpan.FromMilliseconds(400));
        waits.Close(push, time.GetUtcNow());          // the last workload loaded the bundle
        time.Advance(TimeSpan.FromMilliseconds(120));
        gates.Observe(At(3));                         // released

        var report = gates.Report(GateReleaseTracker.InProcessGoalMs);
        var gate = Assert.Single(report.Gates);
        Assert.Equal("VerifyTrust", gate.Phase);
        Assert.Equal(520, gate.HeldMs);
        Assert.Equal(120, gate.ReleaseLagMs);
        Assert.Equal(120, report.P50Ms);
        Assert.Equal(120, report.MaxMs);
        Assert.True(report.MeetsGoal);
    }

    [Fact]
    public void Evidence_in_place_before_the_gate_started_counts_from_its_start_and_a_time_rule_counts_as_evidence()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 6, 0, 0, TimeSpan.Zero));
        var waits = new MandatoryWaitTracker();
        var gates = new GateReleaseTracker(waits, time);
        waits.Close(waits.Open(time.GetUtcNow()), time.GetUtcNow());

        gates.Observe(At(2));
        time.Advance(TimeSpan.FromMilliseconds(50));
        gates.Observe(At(3));                         // VerifyTrust released 50 ms after it started
        gates.Observe(At(4));                         // VerifyLeaves entered
        var rule = time.GetUtcNow().AddSeconds(2);
        gates.Observe(At(4) with { Gate = new GateState(RotationPhase.VerifyLeaves, "waiting for the time rule", 1, rule, rule) });
        time.Advance(TimeSpan.FromMilliseconds(2300));
        gates.Observe(At(4) with { Status = RotationStatus.Completed, FinishedAt = time.GetUtcNow() });

        var report = gates.Report(GateReleaseTracker.KubernetesGoalMs);
        Assert.Equal([50L, 300L], report.Gates.Select(g => g.ReleaseLagMs));
        Assert.Equal(50, report.P50Ms);
        Assert.Equal(300, report.MaxMs);
    }

    private static RotationRecord At(int phaseIndex) => new()
    {
        Id = "rot-1",
        Domain = "drill.mesh.internal",
        Kind = RotationKind.Root,
        Plan = Plan,
        PhaseIndex = phaseIndex,
        Status = RotationStatus.Running,
        Authorities = new RotationAuthorities("root-a", "int-a1", "root-b", "int-b1"),
        Policy = new RotationPolicy(),
        CreatedAt = DateTimeOffset.UnixEpoch,
    };
}
