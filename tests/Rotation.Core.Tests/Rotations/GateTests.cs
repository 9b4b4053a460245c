using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Rotations;
using Rotation.Core.Tests.Rotations.Support;

namespace Rotation.Core.Tests.Rotations;

/// <summary>Every gate holds on partial state, names what holds it, and releases once the evidence is complete.</summary>
public sealed class GateTests
{
    private static async Task<(EngineHarness H, string Id)> AtAsync(RotationPhase phase, RotationKind kind = RotationKind.Root, Action<EngineHarness>? beforeEachStep = null)
    {
        var h = await EngineHarness.CreateAsync();
        var r = await h.StartAsync(kind);
        while ((await h.RecordAsync(r.Id)).CurrentPhase != phase)
        {
            foreach (var m in h.Meshes)
            {
                m.Propagate();
                m.Reissue();
            }

            var current = await h.RecordAsync(r.Id);
            if (current.Policy.RequiresApproval(current.CurrentPhase!.Value))
            {
                await h.Service.ApproveAsync(r.Id, null, "test");
            }

            beforeEachStep?.Invoke(h);
            await h.RunCurrentAsync(r.Id);
        }

        return (h, r.Id);
    }

    [Fact]
    public async Task VerifyTrust_holds_while_one_workload_lacks_B_and_names_it()
    {
        var (h, id) = await AtAsync(RotationPhase.VerifyTrust);
        h.Meshes[0].Propagate();
        h.Meshes[1].Propagate(count: 2); // ns-2 of cluster-1 has not received {A, B}

        var held = await h.RunCurrentAsync(id);

        Assert.Equal(RotationPhase.VerifyTrust, held.CurrentPhase);
        Assert.NotNull(held.Gate);
        Assert.Contains("cluster-1/mesh", held.Gate!.Reason);
        Assert.Contains("ns-2 lacks", held.Gate.Reason);
        Assert.Equal(TargetState.Done, held.Targets["cluster-0/mesh"].State);
        Assert.Equal(TargetState.Blocked, held.Targets["cluster-1/mesh"].State);
        Assert.Equal(h.Time.GetUtcNow() + EngineHarness.TestPolicy.GateRetryInitial, held.Gate.NextCheckAt);

        h.Meshes[1].Propagate();
        var released = await h.RunCurrentAsync(id);

        Assert.Equal(RotationPhase.SwitchIssuer, released.CurrentPhase);
        Assert.Null(released.Gate);
    }

    [Fact]
    public async Task A_trust_gate_recheck_reads_only_the_targets_not_yet_satisfied_in_its_phase()
    {
        var (h, id) = await AtAsync(RotationPhase.VerifyTrust);
        h.Meshes[0].Propagate();
        h.Meshes[1].Propagate(count: 2);
        await h.RunCurrentAsync(id);
        var readsBefore = h.Meshes.Select(m => m.TrustReads).ToList();

        h.Advance(EngineHarness.TestPolicy.GateRetryInitial);
        var stillHeld = await h.RunCurrentAsync(id);
        h.Meshes[1].Propagate();
        h.Advance(EngineHarness.TestPolicy.GateRetryMax);
        var released = await h.RunCurrentAsync(id);

        Assert.Equal(RotationPhase.VerifyTrust, stillHeld.CurrentPhase);
        Assert.Equal(readsBefore[0], h.Meshes[0].TrustReads);           // seen satisfied: not read again in this phase
        Assert.Equal(readsBefore[1] + 2, h.Meshes[1].TrustReads);       // held: read at each check
        Assert.Equal(RotationPhase.SwitchIssuer, released.CurrentPhase);
        Assert.Equal(TargetState.Done, released.Targets["cluster-0/mesh"].State);
        Assert.StartsWith("ok: ", released.Targets["cluster-0/mesh"].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SwitchIssuer_still_reads_every_trust_store_and_refuses_one_that_lost_the_new_root_after_the_gate_saw_it()
    {
        var (h, id) = await AtAsync(RotationPhase.VerifyTrust);
        h.Meshes[0].Propagate();
        h.Meshes[1].Propagate(count: 2);
        await h.RunCurrentAsync(id);                                     // cluster-0 seen satisfied, cluster-1 held
        h.Meshes[0].SetWorkloadTrust(0, [h.RootA.Sha256]);               // cluster-0 regresses behind the gate's back
        h.Meshes[1].Propagate();
        h.Advance(EngineHarness.TestPolicy.GateRetryMax);
        var gateReleased = await h.RunCurrentAsync(id);
        var issuerWrites = h.Meshes.Sum(m => m.IssuerWrites);

        var refused = await Assert.ThrowsAsync<UnsafeStepException>(() => h.RunCurrentAsync(id));

        Assert.Equal(RotationPhase.SwitchIssuer, gateReleased.CurrentPhase);
        Assert.Contains("cluster-0/mesh", refused.Message, StringComparison.Ordinal);
        Assert.Equal(issuerWrites, h.Meshes.Sum(m => m.IssuerWrites));   // nothing issues from the new CA
    }

    [Fact]
    public async Task A_gate_that_keeps_holding_for_the_same_reason_backs_off_and_emits_one_event()
    {
        var (h, id) = await AtAsync(RotationPhase.VerifyTrust);

        var first = await h.RunCurrentAsync(id);
        h.Advance(TimeSpan.FromSeconds(30));
        var second = await h.RunCurrentAsync(id);

        Assert.Equal(1, first.Gate!.Attempts);
        Assert.Equal(2, second.Gate!.Attempts);
        Assert.Equal(h.Time.GetUtcNow() + TimeSpan.FromSeconds(60), second.Gate.NextCheckAt);
        Assert.Single(await h.Store.ReadOutboxAsync(), e => e.Event.Type == EventTypes.GateBlocked);
    }

    [Fact]
    public async Task An_unreachable_target_holds_the_gate_with_its_name_and_reason()
    {
        var (h, id) = await AtAsync(RotationPhase.VerifyTrust);
        foreach (var m in h.Meshes)
        {
            m.Propagate();
        }

        h.Meshes[1].Unavailable = true;
        var held = await h.RunCurrentAsync(id);

        Assert.Equal(RotationPhase.VerifyTrust, held.CurrentPhase);
        Assert.Contains("cluster-1/mesh: unavailable: connection refused", held.Gate!.Reason);
    }

    [Fact]
    public async Task A_write_phase_holds_on_an_unreachable_target_and_skips_the_done_ones_when_run_again()
    {
        var (h, id) = await AtAsync(RotationPhase.DistributeTrust);
        h.Meshes[1].Unavailable = true;

        var held = await h.RunCurrentAsync(id);
        h.Meshes[1].Unavailable = false;
        var done = await h.RunCurrentAsync(id);

        Assert.Equal(RotationPhase.DistributeTrust, held.CurrentPhase);
        Assert.Contains("cluster-1/mesh", held.Gate!.Reason);
        Assert.Equal(RotationPhase.VerifyTrust, done.CurrentPhase);
        Assert.Equal(1, h.Meshes[0].BundleWrites);
        Assert.Equal(1, h.Meshes[1].BundleWrites);
    }

    [Fact]
    public async Task VerifyLeaves_holds_while_a_leaf_still_comes_from_A1()
    {
        var (h, id) = await AtAsync(RotationPhase.VerifyLeaves);
        h.Meshes[0].Reissue();
        h.Meshes[1].Reissue(count: 1);

        var held = await h.RunCurrentAsync(id);
        h.Meshes[1].Reissue();
        var released = await h.RunCurrentAsync(id);

        Assert.Equal(RotationPhase.VerifyLeaves, held.CurrentPhase);
        Assert.Contains("2 of 3 leaves not yet issued by", held.Gate!.Reason);
        Assert.Contains("cluster-1/mesh", held.Gate.Reason);
        Assert.Equal(RotationPhase.RetireOldRoot, released.CurrentPhase);
    }

    [Fact]
    public async Task VerifyLeaves_without_evidence_waits_for_the_longest_leaf_ttl_plus_grace_since_the_switch()
    {
        var (h, id) = await AtAsync(RotationPhase.VerifyLeaves);
        foreach (var m in h.Meshes)
        {
            m.LeavesObservable = false;
        }

        var switchedAt = (await h.RecordAsync(id)).IssuerSwitchedAt!.Value;
        var ruleMet = switchedAt + EngineHarness.TestPolicy.MaxLeafTtl + EngineHarness.TestPolicy.LeafGrace;

        var held = await h.RunCurrentAsync(id);
        h.Advance(ruleMet - h.Time.GetUtcNow() - TimeSpan.FromSeconds(1));
        var stillHeld = await h.RunCurrentAsync(id);
        h.Advance(TimeSpan.FromSeconds(1));
        var released = await h.RunCurrentAsync(id);

        Assert.Equal(ruleMet, held.Gate!.NextCheckAt);
        Assert.Contains("time rule", held.Gate.Reason);
        Assert.Equal(RotationPhase.VerifyLeaves, stillHeld.CurrentPhase);
        Assert.Equal(RotationPhase.RetireOldRoot, released.CurrentPhase);
    }

    [Fact]
    public async Task VerifyRetired_holds_while_a_store_still_holds_A()
    {
        var (h, id) = await AtAsync(RotationPhase.VerifyRetired);
        h.Meshes[0].Propagate();
        h.Meshes[1].Propagate(count: 1);

        var held = await h.RunCurrentAsync(id);
        var statusWhileHeld = (await h.AuthorityAsync("root-a")).Status;
        h.Meshes[1].Propagate();
        var done = await h.RunCurrentAsync(id);

        Assert.Contains("still holds root-a", held.Gate!.Reason);
        Assert.Equal(Domain.CaStatus.Retiring, statusWhileHeld);
        Assert.Equal(RotationStatus.Completed, done.Status);
        Assert.Equal(Domain.CaStatus.Retired, (await h.AuthorityAsync("root-a")).Status);
    }
}
