using Rotation.Core.Domain;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;

namespace Rotation.Infra.Sqlite.Tests;

public sealed class RotationTests : IDisposable
{
    private readonly StoreFixture _fixture = new();

    private SqliteStateStore Store => _fixture.Store;

    public void Dispose() => _fixture.Dispose();

    private Task CreateDomainAsync(string name = TestData.DomainName) => Store.CommitAsync(new ChangeSet { Domain = TestData.Domain(name) });

    [Fact]
    public async Task A_rotation_reads_back_with_its_stored_version()
    {
        await CreateDomainAsync();
        await Store.CommitAsync(new ChangeSet { Rotation = TestData.Rotation("r1") });

        var read = await Store.FindRotationAsync("r1");

        Assert.NotNull(read);
        Assert.Equal(1, read.Version);
        Assert.Equal(TestData.Now, read.CreatedAt);
        Assert.Equal(RotationPlans.For(RotationKind.Root), read.Plan);
        Assert.Null(await Store.FindRotationAsync("r2"));
    }

    [Fact]
    public async Task Each_update_bumps_the_version_and_a_stale_writer_conflicts()
    {
        await CreateDomainAsync();
        await Store.CommitAsync(new ChangeSet { Rotation = TestData.Rotation("r1") });
        var v1 = (await Store.FindRotationAsync("r1"))!;

        await Store.CommitAsync(new ChangeSet { Rotation = v1 with { PhaseIndex = 1 } });
        var v2 = (await Store.FindRotationAsync("r1"))!;
        await Store.CommitAsync(new ChangeSet { Rotation = v2 with { PhaseIndex = 2 } });
        var error = await Assert.ThrowsAsync<ConcurrencyConflictException>(() =>
            Store.CommitAsync(new ChangeSet { Rotation = v1 with { PhaseIndex = 5 } }));

        var v3 = (await Store.FindRotationAsync("r1"))!;
        Assert.Equal(3, v3.Version);
        Assert.Equal(2, v3.PhaseIndex);
        Assert.Equal("rotation 'r1' was changed by someone else (stored version 3, yours 1): re-read it and retry", error.Message);
    }

    [Fact]
    public async Task A_second_active_rotation_in_a_domain_is_refused_naming_the_first()
    {
        await CreateDomainAsync();
        await CreateDomainAsync("other.example");
        await Store.CommitAsync(new ChangeSet { Rotation = TestData.Rotation("r1") });

        var error = await Assert.ThrowsAsync<DomainException>(() => Store.CommitAsync(new ChangeSet { Rotation = TestData.Rotation("r2") }));
        await Store.CommitAsync(new ChangeSet { Rotation = TestData.Rotation("r3", "other.example") });

        Assert.Equal($"trust domain '{TestData.DomainName}' already has an active rotation 'r1': resume or abort it first", error.Message);
        Assert.Null(await Store.FindRotationAsync("r2"));
        Assert.NotNull(await Store.FindRotationAsync("r3"));
    }

    [Fact]
    public async Task Once_the_active_rotation_finishes_a_new_one_may_start()
    {
        await CreateDomainAsync();
        await Store.CommitAsync(new ChangeSet { Rotation = TestData.Rotation("r1") });
        var r1 = (await Store.FindRotationAsync("r1"))!;
        await Store.CommitAsync(new ChangeSet { Rotation = r1 with { Status = RotationStatus.Completed, FinishedAt = TestData.Now.AddHours(30) } });

        await Store.CommitAsync(new ChangeSet { Rotation = TestData.Rotation("r2") with { CreatedAt = TestData.Now.AddDays(1) } });

        var all = await Store.ListRotationsAsync(TestData.DomainName);
        Assert.Equal(["r1", "r2"], all.Select(r => r.Id));
        Assert.Equal([false, true], all.Select(r => r.IsActive));
        // Reviving the finished one would make two active rotations.
        var finished = all[0];
        var revive = await Assert.ThrowsAsync<DomainException>(() =>
            Store.CommitAsync(new ChangeSet { Rotation = finished with { Status = RotationStatus.Running } }));
        Assert.Contains("already has an active rotation 'r2'", revive.Message);
    }

    [Fact]
    public async Task Rotations_are_listed_oldest_first_whatever_their_offsets()
    {
        await CreateDomainAsync();
        await CreateDomainAsync("b.example");
        await Store.CommitAsync(new ChangeSet { Rotation = TestData.Rotation("late") with { CreatedAt = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero) } });
        // 10:00+05:00 is 05:00 UTC: earlier, although its local text sorts later.
        await Store.CommitAsync(new ChangeSet { Rotation = TestData.Rotation("early", "b.example") with { CreatedAt = new DateTimeOffset(2026, 1, 1, 10, 0, 0, TimeSpan.FromHours(5)) } });

        Assert.Equal(["early", "late"], (await Store.ListRotationsAsync()).Select(r => r.Id));
        Assert.Equal(["late"], (await Store.ListRotationsAsync(TestData.DomainName)).Select(r => r.Id));
    }

    [Fact]
    public async Task A_duplicate_rotation_id_is_refused()
    {
        await CreateDomainAsync();
        await Store.CommitAsync(new ChangeSet { Rotation = TestData.Rotation("r1") with { Status = RotationStatus.Aborted } });

        var error = await Assert.ThrowsAsync<DomainException>(() => Store.CommitAsync(new ChangeSet { Rotation = TestData.Rotation("r1") with { Status = RotationStatus.Aborted } }));

        Assert.Equal("rotation 'r1' already exists: resume it, or start a new rotation", error.Message);
    }

    [Fact]
    public async Task Two_processes_starting_a_rotation_at_once_exactly_one_wins()
    {
        await CreateDomainAsync();
        var first = _fixture.Open();
        var second = _fixture.Open();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var attempts = new[] { (first, "ra"), (second, "rb") }
            .Select(attempt => Task.Run(async () =>
            {
                await start.Task;
                await attempt.Item1.CommitAsync(new ChangeSet { Rotation = TestData.Rotation(attempt.Item2) });
            }))
            .ToList();
        start.SetResult();
        var outcomes = await Task.WhenAll(attempts.Select(async t =>
        {
            try
            {
                await t;
                return null;
            }
            catch (DomainException ex)
            {
                return ex;
            }
        }));

        Assert.Single(outcomes, o => o is null);
        var loser = Assert.Single(outcomes, o => o is not null)!;
        var winner = Assert.Single(await Store.ListRotationsAsync());
        Assert.Equal($"trust domain '{TestData.DomainName}' already has an active rotation '{winner.Id}': resume or abort it first", loser.Message);
    }

    [Fact]
    public async Task Two_processes_advancing_the_same_version_exactly_one_wins()
    {
        await CreateDomainAsync();
        await Store.CommitAsync(new ChangeSet { Rotation = TestData.Rotation("r1") });
        var v1 = (await Store.FindRotationAsync("r1"))!;
        var stores = new[] { _fixture.Open(), _fixture.Open() };
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var running = stores.Select((store, i) => Task.Run(async () =>
        {
            await start.Task;
            try
            {
                await store.CommitAsync(new ChangeSet { Rotation = v1 with { PhaseIndex = i + 1 } });
                return true;
            }
            catch (ConcurrencyConflictException)
            {
                return false;
            }
        })).ToList();
        start.SetResult();
        var results = await Task.WhenAll(running);

        Assert.Single(results, r => r);
        var stored = (await Store.FindRotationAsync("r1"))!;
        Assert.Equal(2, stored.Version);
        Assert.Equal(Array.IndexOf(results, true) + 1, stored.PhaseIndex);
    }
}
