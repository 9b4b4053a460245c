using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Rotation.Core.Tests.Rotations.Support;

namespace Rotation.Core.Tests.Rotations;

public sealed class AbortTests
{
    /// <summary>Runs forward (converging the meshes) until <paramref name="phase"/> is current.</summary>
    private static async Task<(EngineHarness H, string Id)> AtAsync(RotationPhase phase, RotationKind kind = RotationKind.Root)
    {
        var h = await EngineHarness.CreateAsync(autoConverge: true);
        var r = await h.StartAsync(kind);
        await h.RunUntilAsync(r.Id, phase);

        return (h, r.Id);
    }

    public static IEnumerable<object[]> AbortablePhases() => Rotation.Testing.Rotations.AbortablePhases.All.Select(p => new object[] { p.Kind, p.Phase });

    [Theory]
    [MemberData(nameof(AbortablePhases))]
    public async Task Abort_unwinds_to_A_and_A1_everywhere_and_retires_what_was_minted(RotationKind kind, RotationPhase phase)
    {
        var (h, id) = await AtAsync(phase, kind);

        await h.Service.AbortAsync(id, "alice");
        var done = await h.DriveAsync(id, autoApprove: false);

        Assert.Equal(RotationStatus.Aborted, done.Status);
        Assert.All(h.Meshes, m => Assert.Equal([h.RootA.Sha256], m.Bundle.Fingerprints));
        Assert.All(h.Meshes, m => Assert.Equal(h.IntermediateA1.Sha256, m.Issuer!.Issuer.Certificate.Sha256));
        Assert.Equal(CaStatus.Active, (await h.AuthorityAsync("root-a")).Status);
        Assert.Equal(CaStatus.Active, (await h.AuthorityAsync("int-a")).Status);
        foreach (var minted in new[] { done.Authorities.NewRootId, done.Authorities.NewIntermediateId }.OfType<string>())
        {
            Assert.Equal(CaStatus.Retired, (await h.AuthorityAsync(minted)).Status);
        }

        var events = (await h.Store.ReadOutboxAsync()).Select(e => e.Event).ToList();
        Assert.Equal(EventTypes.RotationAborted, events[^1].Type);
        Assert.Equal(events.Count, events.Select(e => e.Id).Distinct().Count());
    }

    [Fact]
    public async Task Abort_after_the_switch_reverts_the_issuer_before_it_withdraws_B()
    {
        var (h, id) = await AtAsync(RotationPhase.VerifyLeaves);

        var aborting = await h.Service.AbortAsync(id, "alice");

        Assert.Equal(RotationStatus.Aborting, aborting.Status);
        Assert.Equal(
            [RotationPhase.RevertIssuer, RotationPhase.VerifyLeavesReverted, RotationPhase.WithdrawNewTrust, RotationPhase.VerifyNewTrustWithdrawn],
            aborting.Plan);
    }

    [Fact]
    public async Task Withdrawing_B_holds_while_leaves_still_come_from_B1()
    {
        var (h, id) = await AtAsync(RotationPhase.VerifyLeaves);
        foreach (var m in h.Meshes)
        {
            m.AutoConverge = false;
        }

        await h.Service.AbortAsync(id, "alice");
        await h.RunCurrentAsync(id); // RevertIssuer: writes A1, leaves still from B1
        var held = await h.RunCurrentAsync(id);

        Assert.Equal(RotationPhase.VerifyLeavesReverted, held.CurrentPhase);
        Assert.All(h.Meshes, m => Assert.Equal(2, m.Bundle.Count));
    }

    [Fact]
    public async Task Abort_is_refused_once_the_old_root_is_being_removed()
    {
        var (h, id) = await AtAsync(RotationPhase.RetireOldRoot);
        await h.Service.ApproveAsync(id, null, "alice");
        await h.RunCurrentAsync(id);

        var ex = await Assert.ThrowsAsync<UnsafeStepException>(() => h.Service.AbortAsync(id, "alice"));

        Assert.Contains("point of no return", ex.Message);
        Assert.Equal(RotationStatus.Running, (await h.RecordAsync(id)).Status);
    }

    [Fact]
    public async Task An_abort_that_arrives_while_the_old_root_is_being_dropped_is_refused_and_the_rotation_completes()
    {
        var (h, id) = await AtAsync(RotationPhase.RetireOldRoot);
        await h.Service.ApproveAsync(id, null, "alice");
        Exception? abort = null;
        // The abort lands while the step is already writing bundles without A. Before the claim it was accepted (the
        // record did not show the phase started yet), the step's commit then conflicted, and the unwind went on to
        // reinstate A1 under trust stores that no longer held A.
        h.Meshes[0].DuringNextBundleWrite = async () => abort = await Record.ExceptionAsync(() => h.Service.AbortAsync(id, "alice"));

        await h.RunCurrentAsync(id);

        Assert.IsType<UnsafeStepException>(abort);
        Assert.Contains("point of no return", abort!.Message, StringComparison.Ordinal);
        var done = await h.DriveAsync(id);
        Assert.Equal(RotationStatus.Completed, done.Status);
        Assert.Contains(done.Audit, a => a.Event == AbortPlanner.PointOfNoReturnClaimed && a.Phase == RotationPhase.RetireOldRoot);
        Assert.All(h.Meshes, m => Assert.DoesNotContain(h.RootA.Sha256, m.Bundle.Fingerprints));
    }

    [Fact]
    public async Task An_abort_committed_before_the_claim_wins_and_the_point_of_no_return_writes_nothing()
    {
        var (h, id) = await AtAsync(RotationPhase.RetireOldRoot);
        await h.Service.ApproveAsync(id, null, "alice");
        var stale = await h.RecordAsync(id);
        await h.Service.AbortAsync(id, "alice");
        var writes = h.Meshes.Sum(m => m.BundleWrites);

        // A runner that loaded the record before the abort: its claim conflicts, so it writes nothing.
        var claimed = await PointOfNoReturnClaim.ClaimAsync(h.Store, stale, RotationPhase.RetireOldRoot, DateTimeOffset.UtcNow, default);

        Assert.Null(claimed);
        Assert.Equal(writes, h.Meshes.Sum(m => m.BundleWrites));
        Assert.Equal(RotationStatus.Aborted, (await h.DriveAsync(id, autoApprove: false)).Status);
        Assert.All(h.Meshes, m => Assert.Contains(h.RootA.Sha256, m.Bundle.Fingerprints));
    }

    [Fact]
    public async Task Aborting_twice_is_a_no_op_and_aborting_a_finished_rotation_is_an_error()
    {
        var (h, id) = await AtAsync(RotationPhase.VerifyTrust);

        var first = await h.Service.AbortAsync(id, "alice");
        var second = await h.Service.AbortAsync(id, "alice");
        await h.DriveAsync(id);
        var finished = await Assert.ThrowsAsync<DomainException>(() => h.Service.AbortAsync(id, "alice"));

        Assert.Equal(first.Version, second.Version);
        Assert.Contains("aborted", finished.Message);
    }
}
