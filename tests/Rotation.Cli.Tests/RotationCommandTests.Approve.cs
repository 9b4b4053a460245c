using Rotation.Cli.Tests.Support;
using Rotation.Core.Events;

namespace Rotation.Cli.Tests;

public sealed partial class RotationCommandTests
{
    [Fact]
    public async Task Approve_of_a_phase_that_is_not_waiting_exits_3_and_changes_nothing()
    {
        await InitAndSeedAsync();
        var id = RotationId(await _cli.SucceedAsync("rotate", "intermediate"));
        var before = await Homes.Store(_cli.Home).FindRotationAsync(id);

        var refused = await _cli.RunAsync("approve", id, "--phase", "retire-old-root");

        Assert.Equal(3, refused.ExitCode);
        Assert.Contains("does not wait for an approval; phases that do: RetireOldIntermediate", Assert.Single(refused.ErrorLines), StringComparison.Ordinal);
        var after = await Homes.Store(_cli.Home).FindRotationAsync(id);
        Assert.Equal(before!.Version, after!.Version);
        Assert.Empty(after.Approvals);
    }

    [Fact]
    public async Task Approve_records_who_approved_given_by_by()
    {
        await InitAndSeedAsync();
        var id = RotationId(await _cli.SucceedAsync("rotate", "intermediate"));

        var approve = await _cli.SucceedAsync("approve", id, "--by", "carol@change-1234");

        Assert.Contains("as carol@change-1234", approve.StdOut, StringComparison.Ordinal);
        var record = await Homes.Store(_cli.Home).FindRotationAsync(id);
        Assert.Equal("carol@change-1234", Assert.Single(record!.Approvals).ApprovedBy);
        var approved = Assert.Single((await Homes.Store(_cli.Home).ReadOutboxAsync()).Select(e => e.Event), e => e.Type == EventTypes.PhaseApproved);
        Assert.Contains("approved by carol@change-1234", approved.Data.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Approve_without_by_records_user_at_host()
    {
        await InitAndSeedAsync();
        var id = RotationId(await _cli.SucceedAsync("rotate", "intermediate"));
        _cli.Environment["USER"] = "dave";

        await _cli.SucceedAsync("approve", id);

        var expected = $"dave@{System.Environment.MachineName}";
        var record = await Homes.Store(_cli.Home).FindRotationAsync(id);
        Assert.Equal(expected, Assert.Single(record!.Approvals).ApprovedBy);
        var approved = Assert.Single((await Homes.Store(_cli.Home).ReadOutboxAsync()).Select(e => e.Event), e => e.Type == EventTypes.PhaseApproved);
        Assert.Contains($"approved by {expected}", approved.Data.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
