using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Rotations;
using Rotation.Core.Tests.Rotations.Support;

namespace Rotation.Core.Tests.Rotations;

/// <summary>An approval is for a phase that waits for one; anything else is refused and changes nothing.</summary>
public sealed class ApprovalRefusalTests
{
    [Theory]
    [InlineData(null)]
    [InlineData(RotationPhase.SwitchIssuer)]
    public async Task Approving_a_phase_that_does_not_wait_for_an_approval_is_refused_and_changes_nothing(RotationPhase? phase)
    {
        var h = await EngineHarness.CreateAsync(autoConverge: true);
        var r = await h.StartAsync();
        var before = await h.RecordAsync(r.Id);
        var events = (await h.Store.ReadOutboxAsync()).Count;

        var refused = await Assert.ThrowsAsync<ApprovalRefusedException>(() => h.Service.ApproveAsync(r.Id, phase, "alice"));

        var after = await h.RecordAsync(r.Id);
        Assert.Equal(before.Version, after.Version);
        Assert.Empty(after.Approvals);
        Assert.Equal(events, (await h.Store.ReadOutboxAsync()).Count);
        Assert.Contains("does not wait for an approval", refused.Message, StringComparison.Ordinal);
        Assert.Contains("RetireOldRoot", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Approving_an_aborting_rotation_is_refused()
    {
        var h = await EngineHarness.CreateAsync(autoConverge: true);
        var r = await h.StartAsync();
        await h.RunCurrentAsync(r.Id);
        await h.Service.AbortAsync(r.Id, "alice");

        var refused = await Assert.ThrowsAsync<ApprovalRefusedException>(() => h.Service.ApproveAsync(r.Id, null, "alice"));

        Assert.Contains("aborting", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_approval_records_who_in_the_record_and_in_its_event()
    {
        var h = await EngineHarness.CreateAsync(autoConverge: true);
        var r = await h.StartAsync();

        var approved = await h.Service.ApproveAsync(r.Id, RotationPhase.RetireOldRoot, "alice@ops-1");

        Assert.Equal("alice@ops-1", Assert.Single(approved.Approvals).ApprovedBy);
        var evt = Assert.Single((await h.Store.ReadOutboxAsync()).Select(e => e.Event), e => e.Type == EventTypes.PhaseApproved);
        Assert.Equal($"rotations/{r.Id}/phases/RetireOldRoot", evt.Subject);
        Assert.Contains("approved by alice@ops-1", evt.Data.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
