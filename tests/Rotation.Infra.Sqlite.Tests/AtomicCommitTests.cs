using Rotation.Core.Domain;
using Rotation.Core.Ports;

namespace Rotation.Infra.Sqlite.Tests;

public sealed class AtomicCommitTests : IDisposable
{
    private readonly StoreFixture _fixture = new();

    private SqliteStateStore Store => _fixture.Store;

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public async Task A_change_set_whose_last_item_conflicts_writes_none_of_its_items()
    {
        await Store.CommitAsync(new ChangeSet { Domain = TestData.Domain("existing.example") });
        await Store.CommitAsync(new ChangeSet { Domain = TestData.Domain() });

        var doomed = new ChangeSet
        {
            Domain = TestData.Domain("new.example"),
            Authorities = [TestData.Root("new.example")],
            Clusters = [TestData.Cluster("west", "new.example")],
            Events = [TestData.Event("e1")],
            // Never inserted, so version 7 cannot match: the last write conflicts.
            Rotation = TestData.Rotation("r1", "new.example") with { Version = 7 },
        };
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => Store.CommitAsync(doomed));

        Assert.Null(await Store.FindDomainAsync("new.example"));
        Assert.Empty(await Store.ListAuthoritiesAsync("new.example"));
        Assert.Empty(await Store.ListClustersAsync());
        Assert.Empty(await Store.ReadOutboxAsync());
        Assert.Equal(2, (await Store.ListDomainsAsync()).Count);
    }

    [Fact]
    public async Task A_change_set_that_fails_midway_on_a_duplicate_leaves_earlier_updates_unapplied()
    {
        await Store.CommitAsync(new ChangeSet { Domain = TestData.Domain(), Authorities = [TestData.Root()] });
        var domain = (await Store.FindDomainAsync(TestData.DomainName))!;
        var root = (await Store.ListAuthoritiesAsync(TestData.DomainName)).Single();

        await Assert.ThrowsAsync<DomainException>(() => Store.CommitAsync(new ChangeSet
        {
            Domain = domain with { KeyAlgorithm = Core.Pki.KeyAlgorithm.Rsa2048 },
            Authorities = [root.WithStatus(CaStatus.Retiring), TestData.Root()],
        }));

        Assert.Equal(1, (await Store.FindDomainAsync(TestData.DomainName))!.Version);
        var unchanged = (await Store.ListAuthoritiesAsync(TestData.DomainName)).Single();
        Assert.Equal(CaStatus.Active, unchanged.Status);
        Assert.Equal(1, unchanged.Version);
    }

    [Fact]
    public async Task A_cancelled_commit_writes_nothing()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Store.CommitAsync(new ChangeSet { Domain = TestData.Domain(), Events = [TestData.Event("e1")] }, cancelled.Token));

        Assert.Empty(await Store.ListDomainsAsync());
        Assert.Empty(await Store.ReadOutboxAsync());
    }
}
