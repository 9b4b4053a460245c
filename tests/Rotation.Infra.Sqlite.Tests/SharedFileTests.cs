using System.Diagnostics;
using Rotation.Core.Domain;
using Rotation.Core.Ports;

namespace Rotation.Infra.Sqlite.Tests;

/// <summary>Another process (here: a plain connection) holding the write lock, as a CLI command does while a resume runs.</summary>
public sealed class SharedFileTests : IDisposable
{
    private readonly StoreFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public async Task A_commit_waits_for_another_writer_and_then_lands()
    {
        await _fixture.Store.ListDomainsAsync();
        using var other = _fixture.OpenRaw();
        using var lockHeld = other.BeginTransaction(deferred: false);
        using (var insert = other.CreateCommand())
        {
            insert.CommandText = "INSERT INTO domains (name, created_at, key_algorithm, version) VALUES ('other.example', '2026-01-01T00:00:00.0000000+00:00', 'ecdsa-p256', 1)";
            insert.ExecuteNonQuery();
        }

        var commit = Task.Run(() => _fixture.Store.CommitAsync(new ChangeSet { Domain = TestData.Domain() }));
        await Task.Delay(300);
        Assert.False(commit.IsCompleted);
        lockHeld.Commit();
        await commit;

        Assert.Equal(["mesh.example.internal", "other.example"], (await _fixture.Store.ListDomainsAsync()).Select(d => d.Name));
    }

    [Fact]
    public async Task Readers_are_not_blocked_by_a_writer()
    {
        await _fixture.Store.CommitAsync(new ChangeSet { Domain = TestData.Domain() });
        using var other = _fixture.OpenRaw();
        using var lockHeld = other.BeginTransaction(deferred: false);
        using (var update = other.CreateCommand())
        {
            update.CommandText = "UPDATE domains SET version = 5";
            update.ExecuteNonQuery();
        }

        var read = await _fixture.Store.FindDomainAsync(TestData.DomainName).WaitAsync(TimeSpan.FromSeconds(5));

        // WAL: the reader sees the last committed state, not the uncommitted update.
        Assert.Equal(1, read!.Version);
    }

    [Fact]
    public async Task A_lock_held_past_the_busy_timeout_is_a_clear_error_and_nothing_is_written()
    {
        await _fixture.Store.ListDomainsAsync();
        var store = new SqliteStateStore(new SqliteStoreOptions { DatabasePath = _fixture.DatabasePath, BusyTimeout = TimeSpan.FromMilliseconds(200) });
        using var other = _fixture.OpenRaw();
        using var lockHeld = other.BeginTransaction(deferred: false);
        using (var insert = other.CreateCommand())
        {
            insert.CommandText = "DELETE FROM outbox";
            insert.ExecuteNonQuery();
        }

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<DomainException>(() => store.CommitAsync(new ChangeSet { Domain = TestData.Domain() }));
        clock.Stop();
        lockHeld.Rollback();

        Assert.Equal($"{_fixture.DatabasePath} is locked by another rotation process: retry when it has finished", error.Message);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(150), $"gave up after {clock.Elapsed}");
        Assert.Empty(await _fixture.Store.ListDomainsAsync());
    }
}
