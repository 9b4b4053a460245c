using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Targets;
using Rotation.Infra.Kubernetes.Tests.Support;
using Rotation.Infra.Sqlite;
using Rotation.Testing;

namespace Rotation.Infra.Kubernetes.Tests;

/// <summary>The registry over the real SQLite store; clusters are simulated API servers reached through kubeconfig files.</summary>
public sealed class ClusterRegistryTests : IAsyncLifetime
{
    private const string Domain = "mesh.example.internal";
    private readonly TempDirectory _directory = new("rotation-registry");
    private readonly Material _pki = new();
    private SimCluster _cluster = null!;
    private SqliteStateStore _store = null!;
    private ClusterRegistry _registry = null!;

    public async Task InitializeAsync()
    {
        _cluster = await SimCluster.StartAsync(controllers: true);
        _store = new SqliteStateStore(new SqliteStoreOptions { DatabasePath = _directory.File("rotation.db") });
        await _store.CommitAsync(new ChangeSet { Domain = new TrustDomain(Domain, Material.Now, KeyAlgorithm.EcdsaP256) });
        _registry = new ClusterRegistry(_store, new ClusterCheck(_cluster.Factory), TimeProvider.System);
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _directory.Dispose();
    }

    private ClusterAddRequest Request(string name = "prod-west", string domain = Domain, string? kubeconfig = null, string? context = "sim", params string[] targets) =>
        new(name, domain, ClusterConnectionKind.Kubeconfig, kubeconfig ?? _cluster.KubeconfigPath, context,
            null, (targets.Length == 0 ? ["istio"] : targets).Select(TargetSpecParser.Parse).ToList());

    [Fact]
    public async Task A_registered_cluster_is_listed_with_its_targets_and_can_be_removed()
    {
        var added = await _registry.AddAsync(Request(targets: ["istio", "linkerd:restartNamespaces=payments+orders,restartConcurrency=3"]));

        var listed = Assert.Single(await _registry.ListAsync(Domain));
        Assert.Equal("prod-west", listed.Name);
        Assert.Equal(Path.GetFullPath(_cluster.KubeconfigPath), listed.KubeconfigPath);
        Assert.Equal(["istio", "linkerd:restartConcurrency=3,restartNamespaces=payments+orders"], listed.Targets.Select(TargetSpecParser.Format));
        Assert.Equal(1, added.Version);

        await _registry.RemoveAsync("prod-west");

        Assert.Empty(await _registry.ListAsync());
    }

    public static TheoryData<string, string> BadRequests => new()
    {
        { "name", "invalid cluster name 'Prod_West'" },
        { "domain", "trust domain 'nope.internal' does not exist" },
        { "kubeconfig", "does not exist: pass the path of a readable kubeconfig" },
        { "context", "context 'staging' is not in kubeconfig" },
        { "kind", "unknown target kind 'consul'" },
        { "option", "target 'istio' has no option 'secretName'" },
        { "required", "target 'cert-manager' needs option 'issuerName'" },
        { "value", "option 'restartConcurrency' must be a positive whole number" },
        { "twice", "target 'istio' is given twice" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_input_is_refused_in_one_line_and_changes_nothing(string problem, string message)
    {
        var ex = await Assert.ThrowsAsync<DomainException>(() => _registry.AddAsync(problem switch
        {
            "name" => Request(name: "Prod_West"),
            "domain" => Request(domain: "nope.internal"),
            "kubeconfig" => Request(kubeconfig: _directory.File("missing.yaml")),
            "context" => Request(context: "staging"),
            "kind" => Request() with { Targets = [new TargetSpec("consul", new Dictionary<string, string>())] },
            "option" => Request() with { Targets = [new TargetSpec("istio", new Dictionary<string, string> { ["secretName"] = "x" })] },
            "required" => Request() with { Targets = [new TargetSpec("cert-manager", new Dictionary<string, string>())] },
            "value" => Request() with { Targets = [new TargetSpec("linkerd", new Dictionary<string, string> { ["restartConcurrency"] = "zero" })] },
            "twice" => Request(targets: ["istio", "istio:namespace=mesh"]),
            _ => throw new ArgumentOutOfRangeException(nameof(problem)),
        }));

        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Empty(await _store.ListClustersAsync());
    }

    [Fact]
    public async Task A_second_cluster_with_the_same_name_and_an_unknown_cluster_are_refused()
    {
        await _registry.AddAsync(Request());

        var duplicate = await Assert.ThrowsAsync<DomainException>(() => _registry.AddAsync(Request()));
        var unknown = await Assert.ThrowsAsync<DomainException>(() => _registry.RemoveAsync("prod-east"));

        Assert.Contains("already registered", duplicate.Message, StringComparison.Ordinal);
        Assert.Contains("cluster 'prod-east' is not registered", unknown.Message, StringComparison.Ordinal);
        Assert.Single(await _registry.ListAsync());
    }

    [Fact]
    public async Task An_aks_cluster_needs_a_well_formed_resource_id()
    {
        var bad = new ClusterAddRequest("aks-west", Domain, ClusterConnectionKind.Aks, null, null, "/subscriptions/x/clusters/y", [TargetSpecParser.Parse("istio")]);
        var good = bad with { AksResourceId = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-west" };

        var ex = await Assert.ThrowsAsync<DomainException>(() => _registry.AddAsync(bad));
        var added = await _registry.AddAsync(good);

        Assert.Contains("is not an AKS resource id", ex.Message, StringComparison.Ordinal);
        Assert.Equal(good.AksResourceId, added.AksResourceId);
    }

    [Fact]
    public async Task Check_reports_reachability_and_each_targets_preflight()
    {
        _cluster.Store.SeedIstiod(multiRootMesh: false);
        _cluster.Store.PutIstioCaCerts(_pki.A.Intermediate, [_pki.A.Root.Certificate], [_pki.A.Root.Certificate]);
        await _registry.AddAsync(Request());

        var report = await _registry.CheckAsync("prod-west", RotationKind.Root);

        Assert.Equal("v1.31.0-rotation-sim", report.ServerVersion);
        Assert.Contains(report.Lines, l => l.Check == "reachable" && l.Passed);
        Assert.Contains(report.Lines, l => l.Check == "prod-west/istio: plug-in CA" && l.Passed);
        Assert.Contains(report.Lines, l => l.Check == "prod-west/istio: multi-root" && !l.Passed);
        Assert.False(report.Passed);
    }

    [Fact]
    public async Task Check_asks_the_api_server_about_every_permission_and_names_the_denied_one()
    {
        _cluster.Store.SeedIstiod(multiRootMesh: true, proxyConfigXdsAgent: true);
        _cluster.Store.PutIstioCaCerts(_pki.A.Intermediate, [_pki.A.Root.Certificate], [_pki.A.Root.Certificate]);
        _cluster.Server.Access.Deny("patch", "deployments", "istio-system", "apps");
        await _registry.AddAsync(Request());

        var report = await _registry.CheckAsync("prod-west", RotationKind.Root);

        var permissions = report.Lines.Where(l => l.Check.Contains(": may ", StringComparison.Ordinal)).ToList();
        Assert.Equal(9, permissions.Count); // issue 11: get configmaps (mesh config), list pods, get and create pods/portforward (Envoy admin, istiod metrics)
        var denied = Assert.Single(permissions, l => !l.Passed);
        Assert.Equal("prod-west/istio: may patch deployments.apps in istio-system", denied.Check);
        Assert.Contains("docs/targets.md", denied.Detail, StringComparison.Ordinal);
        Assert.Equal(9, _cluster.Requests.Count("create", "selfsubjectaccessreviews"));
        Assert.All(report.Lines.Where(l => !l.Check.Contains(": may ", StringComparison.Ordinal)), l => Assert.True(l.Passed, l.Check));
    }

    [Fact]
    public async Task Check_of_an_unreachable_cluster_says_so_and_stops()
    {
        await _registry.AddAsync(Request());
        await _cluster.Server.StopListeningAsync();

        var report = await _registry.CheckAsync("prod-west");

        var line = Assert.Single(report.Lines);
        Assert.Equal("reachable", line.Check);
        Assert.False(line.Passed);
        Assert.Contains("cluster 'prod-west'", line.Detail, StringComparison.Ordinal);
    }
}
