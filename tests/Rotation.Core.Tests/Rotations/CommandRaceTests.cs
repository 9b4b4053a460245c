using Rotation.Core.Domain;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Tests.Rotations.Support;

namespace Rotation.Core.Tests.Rotations;

/// <summary>
/// An operator's approve or abort that commits just after the driver's step commit (the driver commits after every
/// step, so this is the common race, not a rare one): the command decides again on the stored record.
/// </summary>
public sealed class CommandRaceTests
{
    private static async Task<(EngineHarness H, string Id)> AtAsync(RotationPhase phase)
    {
        var h = await EngineHarness.CreateAsync(autoConverge: true);
        var r = await h.StartAsync();
        await h.RunUntilAsync(r.Id, phase);

        return (h, r.Id);
    }

    [Fact]
    public async Task An_abort_that_loses_the_race_to_a_step_commit_unwinds_from_what_the_step_committed()
    {
        var (h, id) = await AtAsync(RotationPhase.VerifyTrust);
        RotationRecord? raced = null;
        h.Store.BeforeNextRotationCommit = async () => raced = await h.RunCurrentAsync(id);

        var aborting = await h.Service.AbortAsync(id, "carol");

        Assert.NotNull(raced);
        Assert.Equal(RotationPhase.SwitchIssuer, raced.CurrentPhase);
        Assert.Equal(raced.Audit, aborting.Audit.Take(raced.Audit.Count));
        Assert.Single(aborting.Audit, a => a.Event == "AbortRequested");
        // Decided at SwitchIssuer (the record it first read was at VerifyTrust and would not revert the issuer).
        Assert.Equal(
            [RotationPhase.RevertIssuer, RotationPhase.VerifyLeavesReverted, RotationPhase.WithdrawNewTrust, RotationPhase.VerifyNewTrustWithdrawn],
            aborting.Plan);
        var done = await h.DriveAsync(id, autoApprove: false);
        Assert.Equal(RotationStatus.Aborted, done.Status);
        Assert.All(h.Meshes, m => Assert.Equal([h.RootA.Sha256], m.Bundle.Fingerprints));
    }

    [Fact]
    public async Task An_abort_that_finds_the_driver_past_the_point_of_no_return_on_its_second_read_is_refused()
    {
        var (h, id) = await AtAsync(RotationPhase.RetireOldRoot);
        h.Store.BeforeNextRotationCommit = async () => await h.RunCurrentAsync(id);

        var refused = await Assert.ThrowsAsync<UnsafeStepException>(() => h.Service.AbortAsync(id, "carol"));

        Assert.Contains("past the point of no return", refused.Message, StringComparison.Ordinal);
        var stored = await h.RecordAsync(id);
        Assert.Equal(RotationStatus.Running, stored.Status);
        Assert.DoesNotContain(stored.Audit, a => a.Event == "AbortRequested");
    }

    [Fact]
    public async Task An_approval_that_loses_the_race_keeps_the_step_commit_and_records_the_approval()
    {
        var (h, id) = await AtAsync(RotationPhase.VerifyLeaves);
        RotationRecord? raced = null;
        h.Store.BeforeNextRotationCommit = async () => raced = await h.RunCurrentAsync(id);

        var approved = await h.Service.ApproveAsync(id, RotationPhase.RetireOldRoot, "alice");

        Assert.NotNull(raced);
        Assert.Equal(RotationPhase.RetireOldRoot, (await h.RecordAsync(id)).CurrentPhase);
        Assert.Equal(raced.Version + 1, (await h.RecordAsync(id)).Version);
        Assert.Equal(approved.Version, (await h.RecordAsync(id)).Version);
        Assert.Contains((await h.RecordAsync(id)).Approvals, a => a.Phase == RotationPhase.RetireOldRoot && a.ApprovedBy == "alice");
    }

    [Fact]
    public async Task A_record_that_keeps_changing_gives_up_after_five_reads_and_changes_nothing_of_its_own()
    {
        var (h, id) = await AtAsync(RotationPhase.DistributeTrust);
        var races = 0;
        async Task Bump()
        {
            races++;
            var current = await h.RecordAsync(id);
            await h.Store.CommitAsync(new ChangeSet { Rotation = current });
            h.Store.BeforeNextRotationCommit = Bump; // armed after its own commit, which would otherwise race itself
        }

        h.Store.BeforeNextRotationCommit = Bump;

        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => h.Service.AbortAsync(id, "carol"));

        Assert.Equal(5, races);
        h.Store.BeforeNextRotationCommit = null;
        Assert.DoesNotContain((await h.RecordAsync(id)).Audit, a => a.Event == "AbortRequested");
    }
}
