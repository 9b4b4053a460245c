using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;

namespace Rotation.Core.Tests.Rotations;

public sealed class RotationDeciderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);

    private static RotationRecord Record(RotationKind kind = RotationKind.Root, int phaseIndex = 0, RotationStatus status = RotationStatus.Running) => new()
    {
        Id = "rot-1",
        Domain = "mesh.example.internal",
        Kind = kind,
        Status = status,
        Plan = RotationPlans.For(kind),
        PhaseIndex = phaseIndex,
        Authorities = new RotationAuthorities("root-a", "int-a", null, null),
        Policy = new RotationPolicy(),
        CreatedAt = Now,
    };

    public static TheoryData<RotationKind, int, RotationPhase> EveryForwardPhase()
    {
        var data = new TheoryData<RotationKind, int, RotationPhase>();
        foreach (var kind in new[] { RotationKind.Root, RotationKind.Intermediate })
        {
            var plan = RotationPlans.For(kind);
            for (var i = 0; i < plan.Count; i++)
            {
                data.Add(kind, i, plan[i]);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryForwardPhase))]
    public void Each_phase_runs_its_step_unless_it_needs_an_approval(RotationKind kind, int index, RotationPhase phase)
    {
        var decision = RotationDecider.Decide(Record(kind, index), Now);

        if (new RotationPolicy().RequiresApproval(phase))
        {
            Assert.Equal(new RotationDecision.AwaitApproval(phase), decision);
        }
        else
        {
            Assert.Equal(new RotationDecision.RunStep(phase), decision);
        }
    }

    [Fact]
    public void Point_of_no_return_runs_once_approved_in_the_current_plan()
    {
        var index = RotationPlans.For(RotationKind.Root).ToList().IndexOf(RotationPhase.RetireOldRoot);
        var record = Record(phaseIndex: index) with { Approvals = [new Approval(RotationPhase.RetireOldRoot, "alice", Now)] };

        Assert.Equal(new RotationDecision.RunStep(RotationPhase.RetireOldRoot), RotationDecider.Decide(record, Now));
    }

    [Fact]
    public void An_approval_from_an_earlier_plan_does_not_count()
    {
        var index = RotationPlans.For(RotationKind.Root).ToList().IndexOf(RotationPhase.RetireOldRoot);
        var record = Record(phaseIndex: index) with
        {
            PlanGeneration = 1,
            Approvals = [new Approval(RotationPhase.RetireOldRoot, "alice", Now, Generation: 0)],
        };

        Assert.IsType<RotationDecision.AwaitApproval>(RotationDecider.Decide(record, Now));
    }

    [Fact]
    public void A_holding_gate_waits_until_its_next_check_then_runs_again()
    {
        var record = Record(phaseIndex: 2) with { Gate = new GateState(RotationPhase.VerifyTrust, "cluster-0 lacks B", 1, Now.AddSeconds(30)) };

        Assert.Equal(new RotationDecision.WaitUntil(Now.AddSeconds(30), "cluster-0 lacks B", WakeOnChange: true), RotationDecider.Decide(record, Now));
        Assert.Equal(new RotationDecision.RunStep(RotationPhase.VerifyTrust), RotationDecider.Decide(record, Now.AddSeconds(30)));
    }

    [Fact]
    public void A_gate_left_from_another_phase_is_ignored()
    {
        var record = Record(phaseIndex: 3) with { Gate = new GateState(RotationPhase.VerifyTrust, "old", 4, Now.AddHours(1)) };

        Assert.Equal(new RotationDecision.RunStep(RotationPhase.SwitchIssuer), RotationDecider.Decide(record, Now));
    }

    [Fact]
    public void Unwinding_never_waits_for_an_approval()
    {
        var record = Record() with
        {
            Status = RotationStatus.Aborting,
            Plan = [RotationPhase.RevertIssuer],
            PlanGeneration = 1,
            Policy = new RotationPolicy { ApprovalRequiredFor = [RotationPhase.RevertIssuer] },
        };

        Assert.Equal(new RotationDecision.RunStep(RotationPhase.RevertIssuer), RotationDecider.Decide(record, Now));
    }

    [Theory]
    [InlineData(RotationStatus.Completed)]
    [InlineData(RotationStatus.Aborted)]
    [InlineData(RotationStatus.Failed)]
    public void Finished_rotations_have_nothing_to_do(RotationStatus status)
    {
        Assert.Equal(new RotationDecision.Finished(status), RotationDecider.Decide(Record(status: status), Now));
    }

    [Theory]
    [InlineData(1, 30)]
    [InlineData(2, 60)]
    [InlineData(3, 120)]
    [InlineData(6, 600)]
    [InlineData(40, 600)]
    public void Gate_backoff_doubles_up_to_the_cap(int attempt, int expectedSeconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), new RotationPolicy().GateBackoff(attempt));
    }
}
