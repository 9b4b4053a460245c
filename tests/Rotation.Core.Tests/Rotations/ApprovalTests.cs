using Rotation.Core.Domain;
using Rotation.Core.Rotations;
using Rotation.Core.Tests.Rotations.Support;

namespace Rotation.Core.Tests.Rotations;

public sealed class ApprovalTests
{
    [Fact]
    public async Task The_driver_stops_before_the_point_of_no_return_until_someone_approves()
    {
        var h = await EngineHarness.CreateAsync(autoConverge: true);
        var r = await h.StartAsync();

        var stopped = await h.DriveAsync(r.Id, autoApprove: false);

        Assert.Equal(RotationStatus.Running, stopped.Status);
        Assert.Equal(RotationPhase.RetireOldRoot, stopped.CurrentPhase);
        Assert.All(h.Meshes, m => Assert.Equal(2, m.Bundle.Count));

        await h.Service.ApproveAsync(r.Id, null, "alice");
        var done = await h.DriveAsync(r.Id, autoApprove: false);

        Assert.Equal(RotationStatus.Completed, done.Status);
        Assert.Contains(done.Approvals, a => a.Phase == RotationPhase.RetireOldRoot && a.ApprovedBy == "alice");
        Assert.Contains(done.Audit, a => a.Event == "Approved" && a.Detail.Contains("alice"));
    }

    [Fact]
    public async Task Approve_each_phase_stops_before_every_phase()
    {
        var h = await EngineHarness.CreateAsync(autoConverge: true);
        var r = await h.StartAsync(policy: EngineHarness.TestPolicy.ApprovingEachPhase(RotationKind.Root));
        var seen = new List<RotationPhase>();

        var record = await h.DriveAsync(r.Id, autoApprove: false);
        while (record.Status == RotationStatus.Running)
        {
            seen.Add(record.CurrentPhase!.Value);
            await h.Service.ApproveAsync(r.Id, null, "bob");
            record = await h.DriveAsync(r.Id, autoApprove: false);
        }

        Assert.Equal(RotationPlans.For(RotationKind.Root), seen);
        Assert.Equal(RotationStatus.Completed, record.Status);
    }

    [Fact]
    public async Task A_later_phase_can_be_approved_ahead_and_approving_twice_changes_nothing()
    {
        var h = await EngineHarness.CreateAsync(autoConverge: true);
        var r = await h.StartAsync();

        var first = await h.Service.ApproveAsync(r.Id, RotationPhase.RetireOldRoot, "alice");
        var second = await h.Service.ApproveAsync(r.Id, RotationPhase.RetireOldRoot, "alice");
        var done = await h.DriveAsync(r.Id, autoApprove: false);

        Assert.Equal(first.Version, second.Version);
        Assert.Equal(RotationStatus.Completed, done.Status);
    }

    [Fact]
    public async Task Approving_a_phase_already_behind_or_a_finished_rotation_is_an_error()
    {
        var h = await EngineHarness.CreateAsync(autoConverge: true);
        var r = await h.StartAsync();
        await h.RunCurrentAsync(r.Id);

        var behind = await Assert.ThrowsAsync<DomainException>(() => h.Service.ApproveAsync(r.Id, RotationPhase.Prepare, "a"));
        await h.DriveAsync(r.Id);
        var finished = await Assert.ThrowsAsync<DomainException>(() => h.Service.ApproveAsync(r.Id, null, "a"));

        Assert.Contains("not ahead", behind.Message);
        Assert.Contains("completed", finished.Message);
    }
}
