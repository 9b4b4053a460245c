using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Infra.Files;
using Rotation.Infra.Files.Endpoints;
using Rotation.Infra.Kubernetes.Targets;
using Rotation.Infra.Kubernetes.Tests.Support;
using Rotation.Infra.Sqlite;
using Rotation.Testing;

namespace Rotation.Infra.Kubernetes.Tests;

/// <summary>The resolver adds endpoint evidence to any target that lists endpoints, and builds files targets for hosts.</summary>
public sealed class EndpointEvidenceResolverTests : IAsyncLifetime
{
    private const string Domain = "mesh.example.internal";
    private readonly TempDirectory _directory = new("rotation-resolver-endpoints");
    private SimCluster _cluster = null!;
    private SqliteStateStore _store = null!;

    public async Task InitializeAsync()
    {
        _cluster = await SimCluster.StartAsync("prod-west");
        _store = new SqliteStateStore(new SqliteStoreOptions { DatabasePath = _directory.File("rotation.db") });
        Directory.CreateDirectory(_directory.File("etc-mesh"));
        await _store.CommitAsync(new ChangeSet
        {
            Domain = new TrustDomain(Domain, Material.Now, KeyAlgorithm.EcdsaP256),
            Clusters =
            [
                _cluster.Registration([TargetSpecParser.Parse("istio:endpoints=127.0.0.1:1")], Domain),
                new ClusterRegistration("vm1", Domain, ClusterConnectionKind.Host, null, null, null, [TargetSpecParser.Parse($"files:dir={_directory.File("etc-mesh")}")], Material.Now),
            ],
        });
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task A_kubernetes_target_with_endpoints_gets_endpoint_evidence_and_a_host_gets_a_files_target()
    {
        using var resolver = new KubernetesTargetResolver(_store, _cluster.Factory);

        var targets = await resolver.ResolveAsync(Domain);

        Assert.Equal(["prod-west/istio", "vm1/files"], targets.Select(t => t.Name));
        var istio = Assert.IsType<EndpointEvidenceTarget>(targets[0]);
        Assert.Equal("IstioPluginCaTarget", istio.Inner.GetType().Name);
        Assert.IsType<FilesTarget>(targets[1]);
        // Without a key vault no probe leaf can be signed: the target says so instead of passing the gate.
        var error = await Assert.ThrowsAsync<TargetUnavailableException>(() => istio.ReportTrustAsync());
        Assert.Contains("can sign a probe leaf", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Endpoint_options_are_checked_for_every_kind()
    {
        var error = Assert.Throws<DomainException>(() => TargetSpecParser.Parse("linkerd:endpoints=nowhere"));
        Assert.Contains("no port", error.Message, StringComparison.Ordinal);
        Assert.Throws<DomainException>(() => TargetSpecParser.Parse("istio:leafEvidence=endpoints"));
    }
}
