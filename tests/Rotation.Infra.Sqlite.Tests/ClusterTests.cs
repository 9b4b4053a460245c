using Rotation.Core.Domain;
using Rotation.Core.Ports;

namespace Rotation.Infra.Sqlite.Tests;

public sealed class ClusterTests : IDisposable
{
    private readonly StoreFixture _fixture = new();

    private SqliteStateStore Store => _fixture.Store;

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public async Task Clusters_are_listed_by_name_and_filtered_by_domain()
    {
        await Store.CommitAsync(new ChangeSet { Domain = TestData.Domain() });
        await Store.CommitAsync(new ChangeSet { Domain = TestData.Domain("other.example") });
        await Store.CommitAsync(new ChangeSet { Clusters = [TestData.Cluster("west"), TestData.Cluster("east"), TestData.Cluster("lab", "other.example")] });

        Assert.Equal(["east", "lab", "west"], (await Store.ListClustersAsync()).Select(c => c.Name));
        Assert.Equal(["east", "west"], (await Store.ListClustersAsync(TestData.DomainName)).Select(c => c.Name));
        var lab = (await Store.ListClustersAsync("other.example")).Single();
        Assert.Equal(1, lab.Version);
        Assert.Equal("istio-system", lab.Targets.Single().Options["namespace"]);
    }

    [Fact]
    public async Task A_cluster_update_is_versioned_and_a_duplicate_is_refused()
    {
        await Store.CommitAsync(new ChangeSet { Domain = TestData.Domain(), Clusters = [TestData.Cluster("west")] });
        var v1 = (await Store.ListClustersAsync()).Single();

        await Store.CommitAsync(new ChangeSet { Clusters = [v1 with { Context = "prod-west-2" }] });
        var stale = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => Store.CommitAsync(new ChangeSet { Clusters = [v1] }));
        var duplicate = await Assert.ThrowsAsync<DomainException>(() => Store.CommitAsync(new ChangeSet { Clusters = [TestData.Cluster("west")] }));

        var v2 = (await Store.ListClustersAsync()).Single();
        Assert.Equal(2, v2.Version);
        Assert.Equal("prod-west-2", v2.Context);
        Assert.Contains("cluster 'west' was changed by someone else", stale.Message);
        Assert.Equal("cluster 'west' is already registered: choose another name or update the existing registration", duplicate.Message);
    }

    [Fact]
    public async Task A_cluster_is_removed_only_at_its_stored_version()
    {
        await Store.CommitAsync(new ChangeSet { Domain = TestData.Domain(), Clusters = [TestData.Cluster("west")] });
        var v1 = (await Store.ListClustersAsync()).Single();
        await Store.CommitAsync(new ChangeSet { Clusters = [v1 with { Context = "changed" }] });

        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => Store.CommitAsync(new ChangeSet { RemovedClusters = [v1] }));
        Assert.Single(await Store.ListClustersAsync());

        var v2 = (await Store.ListClustersAsync()).Single();
        await Store.CommitAsync(new ChangeSet { RemovedClusters = [v2] });
        Assert.Empty(await Store.ListClustersAsync());
    }

    [Fact]
    public async Task A_cluster_of_an_unknown_domain_is_refused()
    {
        var error = await Assert.ThrowsAsync<DomainException>(() => Store.CommitAsync(new ChangeSet { Clusters = [TestData.Cluster("west", "nowhere.example")] }));

        Assert.Contains("'nowhere.example' does not exist", error.Message);
    }
}
