using Azure.Data.Tables;
using Microsoft.Extensions.Time.Testing;
using Rotation.Core.Domain;
using Rotation.Core.Ports;
using Rotation.Testing.StateStores;
using S = Rotation.Testing.StateStores.StoreSamples;

namespace Rotation.Infra.AzureTables.Tests;

/// <summary>Change sets bigger than one entity-group transaction: all-or-nothing to readers, finished by whoever comes next.</summary>
public sealed class StagedChangeSetTests : IClassFixture<AzuriteFixture>
{
    private readonly AzuriteFixture _azurite;
    private readonly string _tableName = AzuriteTables.NewTableName();

    public StagedChangeSetTests(AzuriteFixture azurite) => _azurite = azurite;

    private TableClient Raw => _azurite.Service().GetTableClient(_tableName);

    private async Task<List<TableEntity>> RowsAsync(string prefix)
    {
        var rows = new List<TableEntity>();
        await foreach (var row in Raw.QueryAsync<TableEntity>(TableKeys.PrefixFilter(prefix)))
        {
            rows.Add(row);
        }

        return rows;
    }

    [Fact]
    public async Task A_crash_before_the_manifest_leaves_nothing_visible_and_a_retry_commits_each_event_once()
    {
        var crashing = _azurite.NewStore(_tableName);
        await crashing.CommitAsync(new ChangeSet { Domain = S.Domain() });
        crashing.AfterStaging = () => throw new IOException("killed after staging");
        var changes = new ChangeSet { Rotation = S.Rotation("r1"), Events = S.Events(150) };

        await Assert.ThrowsAsync<IOException>(() => crashing.CommitAsync(changes));

        var reader = _azurite.NewStore(_tableName);
        Assert.Empty(await reader.ReadOutboxAsync());
        Assert.Null(await reader.FindRotationAsync("r1"));
        Assert.Equal(150, (await RowsAsync(TableKeys.Staged)).Count);

        await reader.CommitAsync(changes);

        var outbox = await reader.ReadOutboxAsync();
        Assert.Equal(S.Events(150).Select(e => e.Id), outbox.Select(e => e.Event.Id));
        Assert.Equal(1, (await reader.FindRotationAsync("r1"))!.Version);
        Assert.Equal(150, (await RowsAsync(TableKeys.Event)).Count);
        Assert.Empty(await RowsAsync(TableKeys.Manifest));
        // The dead attempt's rows are younger than an hour: kept (a slow writer might still commit them), still invisible.
        Assert.Equal(150, (await RowsAsync(TableKeys.Staged)).Count);
    }

    [Fact]
    public async Task Staged_rows_of_a_commit_that_died_are_swept_after_an_hour()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var crashing = _azurite.NewStore(_tableName, time);
        await crashing.CommitAsync(new ChangeSet { Domain = S.Domain() });
        crashing.AfterStaging = () => throw new IOException("killed after staging");
        await Assert.ThrowsAsync<IOException>(() => crashing.CommitAsync(new ChangeSet { Events = S.Events(120) }));

        time.Advance(TimeSpan.FromHours(2));
        var later = _azurite.NewStore(_tableName, time);
        await later.CommitAsync(new ChangeSet { Events = [S.Event("after")] });

        Assert.Empty(await RowsAsync(TableKeys.Staged));
        Assert.Equal(["after"], (await later.ReadOutboxAsync()).Select(e => e.Event.Id));
    }

    [Fact]
    public async Task A_crash_after_the_manifest_is_already_visible_and_the_next_writer_finishes_it()
    {
        var crashing = _azurite.NewStore(_tableName);
        await crashing.CommitAsync(new ChangeSet { Domain = S.Domain() });
        crashing.AfterManifest = () => throw new IOException("killed after the manifest");

        await Assert.ThrowsAsync<IOException>(() => crashing.CommitAsync(new ChangeSet { Rotation = S.Rotation("r1"), Events = S.Events(150) }));

        var reader = _azurite.NewStore(_tableName);
        var visible = await reader.ReadOutboxAsync();
        Assert.Equal(150, visible.Count);
        Assert.Equal(visible.Select(e => e.Sequence).Order(), visible.Select(e => e.Sequence));
        Assert.NotNull(await reader.FindRotationAsync("r1"));
        Assert.Single(await RowsAsync(TableKeys.Manifest));

        await reader.MarkPublishedAsync(["e000", "e149"], S.Now);

        var after = await reader.ReadOutboxAsync();
        Assert.Equal(visible.Select(e => (e.Event.Id, e.Sequence)), after.Select(e => (e.Event.Id, e.Sequence)));
        Assert.Equal(148, after.Count(e => e.IsPending));
        Assert.Empty(await RowsAsync(TableKeys.Staged));
        Assert.Empty(await RowsAsync(TableKeys.Manifest));
        Assert.Equal(150, (await RowsAsync(TableKeys.Event)).Count);
    }

    [Fact]
    public async Task A_domain_and_everything_it_commits_share_one_partition()
    {
        var store = _azurite.NewStore(_tableName);
        await store.CommitAsync(new ChangeSet { Domain = S.Domain(), Authorities = [S.Root()], Clusters = [S.Cluster("west")] });
        await store.CommitAsync(new ChangeSet { Rotation = S.Rotation("r1"), Events = [S.Event("e1")] });

        var rows = new List<TableEntity>();
        await foreach (var row in Raw.QueryAsync<TableEntity>(e => e.PartitionKey == S.DomainName))
        {
            rows.Add(row);
        }

        Assert.Equal(
            ["ca|root-1", "cluster|west", "domain", "event|e1", "lock|active-rotation", "rotation|r1"],
            rows.Select(r => r.RowKey).Order(StringComparer.Ordinal));
        Assert.Equal("r1", rows.Single(r => r.RowKey == "lock|active-rotation").GetString("RotationId"));
    }

    [Fact]
    public async Task A_change_set_spanning_two_domains_is_refused()
    {
        var store = _azurite.NewStore(_tableName);
        await store.CommitAsync(new ChangeSet { Domain = S.Domain() });
        await store.CommitAsync(new ChangeSet { Domain = S.Domain("other.example") });

        var error = await Assert.ThrowsAsync<DomainException>(() =>
            store.CommitAsync(new ChangeSet { Clusters = [S.Cluster("west"), S.Cluster("lab", "other.example")] }));

        Assert.Equal(
            "one change set writes to trust domains 'mesh.example.internal', 'other.example': the Table Storage store commits one trust domain at a time, split the change set",
            error.Message);
        Assert.Empty(await store.ListClustersAsync());
    }

    [Fact]
    public async Task Finishing_the_active_rotation_releases_the_lock()
    {
        var store = _azurite.NewStore(_tableName);
        await store.CommitAsync(new ChangeSet { Domain = S.Domain() });
        await store.CommitAsync(new ChangeSet { Rotation = S.Rotation("r1") });
        var r1 = (await store.FindRotationAsync("r1"))!;

        await store.CommitAsync(new ChangeSet { Rotation = r1 with { Status = Core.Rotations.RotationStatus.Aborted } });

        Assert.False((await Raw.GetEntityIfExistsAsync<TableEntity>(S.DomainName, TableKeys.ActiveRotationLockRow)).HasValue);
        await store.CommitAsync(new ChangeSet { Rotation = S.Rotation("r2") });
    }

    [Fact]
    public async Task Options_name_what_is_missing()
    {
        Assert.Contains("exactly one of a connection string or a table endpoint", Assert.Throws<ArgumentException>(() => new TableStoreOptions().Validate()).Message);
        Assert.Contains("needs a credential", Assert.Throws<ArgumentException>(() => new TableStoreOptions { Endpoint = new Uri("https://acct.table.core.windows.net") }.Validate()).Message);
        Assert.Contains("not a valid table name", Assert.Throws<ArgumentException>(() => new TableStoreOptions { ConnectionString = "x", TableName = "1bad" }.Validate()).Message);
        await Task.CompletedTask;
    }
}
