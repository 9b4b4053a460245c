using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Infra.Kubernetes.Tests.Support;
using Rotation.Infra.Sqlite;
using Rotation.Testing;

namespace Rotation.Infra.Kubernetes.Tests;

public sealed class KubernetesTargetResolverTests : IAsyncLifetime
{
    private const string Domain = "mesh.example.internal";
    private readonly TempDirectory _directory = new("rotation-resolver");
    private readonly Material _pki = new();
    private SimCluster _west = null!;
    private SimCluster _east = null!;
    private SqliteStateStore _store = null!;

    public async Task InitializeAsync()
    {
        _west = await SimCluster.StartAsync("prod-west");
        _east = await SimCluster.StartAsync("prod-east");
        _store = new SqliteStateStore(new SqliteStoreOptions { DatabasePath = _directory.File("rotation.db") });
        await _store.CommitAsync(new ChangeSet
        {
            Domain = new TrustDomain(Domain, Material.Now, KeyAlgorithm.EcdsaP256),
            Clusters =
            [
                _west.Registration([new TargetSpec("istio", new Dictionary<string, string>()), new TargetSpec("trust-manager", new Dictionary<string, string> { ["bundle"] = "b", ["sourceName"] = "s" })], Domain),
                _east.Registration([new TargetSpec("istio", new Dictionary<string, string>())], Domain),
                new ClusterRegistration("drill", Domain, ClusterConnectionKind.Simulated, null, null, null, [new TargetSpec("simulated", new Dictionary<string, string>())], Material.Now),
            ],
        });
    }

    public async Task DisposeAsync()
    {
        await _west.DisposeAsync();
        await _east.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task Every_target_of_every_kubernetes_cluster_of_the_domain_is_resolved()
    {
        using var resolver = new KubernetesTargetResolver(_store, _west.Factory);

        var targets = await resolver.ResolveAsync(Domain);

        Assert.Equal(["prod-east/istio", "prod-west/istio", "prod-west/trust-manager"], targets.Select(t => t.Name));
        Assert.Empty(await resolver.ResolveAsync("other.internal"));
    }

    [Fact]
    public async Task A_cluster_that_cannot_be_connected_to_still_yields_its_targets_which_report_it_unavailable()
    {
        File.Delete(_east.KubeconfigPath);
        Seed.Istio(_west.Store, _pki.A, multiRoot: true);
        using var resolver = new KubernetesTargetResolver(_store, _west.Factory);

        var targets = await resolver.ResolveAsync(Domain);

        var east = Assert.Single(targets, t => t.Name == "prod-east/istio");
        var ex = await Assert.ThrowsAsync<TargetUnavailableException>(() => east.ReportTrustAsync());
        Assert.Contains("cluster 'prod-east'", ex.Reason, StringComparison.Ordinal);
        var west = await targets.Single(t => t.Name == "prod-west/istio").ReportTrustAsync();
        Assert.NotEmpty(west.Stores);
    }

    [Fact]
    public async Task One_target_is_resolved_without_a_request_to_any_other_cluster()
    {
        Seed.Istio(_west.Store, _pki.A, multiRoot: true);
        Seed.Istio(_east.Store, _pki.A, multiRoot: true);
        using var resolver = new KubernetesTargetResolver(_store, _west.Factory);
        ITargetResolver port = resolver;
        _east.Requests.Clear();

        var west = await port.ResolveOneAsync(Domain, "prod-west/istio");
        var report = await west!.ReportTrustAsync();

        Assert.NotEmpty(report.Stores);
        Assert.Empty(_east.Requests.Entries);
        Assert.Equal("prod-west/trust-manager", (await port.ResolveOneAsync(Domain, "prod-west/trust-manager"))!.Name);
        Assert.Null(await port.ResolveOneAsync(Domain, "prod-west/linkerd"));
        Assert.Null(await port.ResolveOneAsync(Domain, "prod-north/istio"));
        Assert.Null(await port.ResolveOneAsync(Domain, "drill/simulated"));
        Assert.Empty(_east.Requests.Entries);
        // The control: east answers when it is the one asked for.
        var east = await port.ResolveOneAsync(Domain, "prod-east/istio");
        Assert.NotEmpty((await east!.ReportTrustAsync()).Stores);
        Assert.NotEmpty(_east.Requests.Entries);
    }
}
