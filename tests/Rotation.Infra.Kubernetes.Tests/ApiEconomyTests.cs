using System.Text.Json.Nodes;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Infra.Kubernetes.Targets;
using Rotation.Infra.Kubernetes.Tests.Support;

namespace Rotation.Infra.Kubernetes.Tests;

/// <summary>A gate check over 2,000 namespaces reads each kind with one paginated LIST (500 a page): at most 4 calls per kind, no per-namespace GETs.</summary>
public sealed class ApiEconomyTests : IAsyncLifetime
{
    private const int Namespaces = 2000;
    private readonly Material _pki = new();
    private SimCluster _cluster = null!;
    private IReadOnlyList<string> _namespaces = [];

    public async Task InitializeAsync()
    {
        _cluster = await SimCluster.StartAsync();
        _namespaces = _cluster.Store.CreateNamespaces(Namespaces);
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private void AssertAtMostFourListsAndNoGets(string resource)
    {
        Assert.InRange(_cluster.Requests.Count("list", resource), 1, 4);
        Assert.Equal(0, _cluster.Requests.Count(r => r.Request.Verb == "get" && r.Request.Resource == resource && r.Request.Namespace is not null && r.Request.Namespace.StartsWith("ns-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Linkerd_reads_every_meshed_pod_with_four_lists()
    {
        SeedLinkerd.Install(_cluster.Store, _pki.A);
        foreach (var ns in _namespaces.Skip(SeedLinkerd.ControlPlane.Length))
            SeedLinkerd.Pod(_cluster.Store, ns, "app", _pki.OnlyA.ToPem());
        _cluster.Requests.Clear();

        var report = await TargetCatalog.Create(_cluster.Connection, new TargetSpec("linkerd", new Dictionary<string, string>())).ReportTrustAsync();

        Assert.Equal(1 + Namespaces, report.Stores.Count); // the trust roots ConfigMap and 2,000 proxies
        AssertAtMostFourListsAndNoGets("pods");
    }

    [Fact]
    public async Task Trust_manager_reads_every_target_configmap_with_four_lists()
    {
        _cluster.Store.PutConfigMap("cert-manager", "mesh-roots", new Dictionary<string, string> { ["ca.crt"] = _pki.OnlyA.ToPem() });
        var bundle = KubeObjects.New(ResourceKinds.Bundles, null, "mesh-bundle");
        bundle["metadata"]!["generation"] = 1;
        bundle["spec"] = new JsonObject { ["target"] = new JsonObject { ["configMap"] = new JsonObject { ["key"] = "roots.pem" } } };
        bundle["status"] = new JsonObject { ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Synced", ["status"] = "True", ["observedGeneration"] = 1 }) };
        _cluster.Store.Put(ResourceKinds.Bundles, bundle);
        foreach (var ns in _namespaces.Take(Namespaces - 1))
            // Targets carry trust-manager's label: the target finds them by it (not by name).
            _cluster.Store.PutConfigMap(ns, "mesh-bundle", new Dictionary<string, string> { ["roots.pem"] = _pki.OnlyA.ToPem() }, new Dictionary<string, string> { ["trust.cert-manager.io/bundle"] = "mesh-bundle" });
        _cluster.Requests.Clear();

        var report = await TargetCatalog.Create(_cluster.Connection, new TargetSpec("trust-manager",
            new Dictionary<string, string> { ["bundle"] = "mesh-bundle", ["sourceName"] = "mesh-roots" })).ReportTrustAsync();

        Assert.Equal(1 + Namespaces - 1, report.Stores.Count);
        Assert.DoesNotContain(report.Stores, s => s.Location.StartsWith("Bundle", StringComparison.Ordinal));
        AssertAtMostFourListsAndNoGets("configmaps");
    }

    [Fact]
    public async Task Cert_manager_reads_every_certificate_and_secret_with_four_lists_each()
    {
        _cluster.Store.PutCaSecret("cert-manager", "mesh-ca", _pki.A.Intermediate, [_pki.A.Root.Certificate], [_pki.A.Root.Certificate]);
        _cluster.Store.PutCaIssuer(null, "mesh-ca", "mesh-ca");
        var leaf = _pki.A.Leaf();
        foreach (var ns in _namespaces.Skip(1)) // 1,999 Certificates: with the issuer's own, 2,000 TLS secrets
        {
            _cluster.Store.PutCertificate(ns, "app", "app-tls", "mesh-ca", "ClusterIssuer");
            _cluster.Store.PutSecret(ns, "app-tls", new Dictionary<string, string>
            {
                ["tls.crt"] = Pem.WriteCertificates([leaf.Certificate, _pki.A.Intermediate.Certificate]),
                ["ca.crt"] = _pki.OnlyA.ToPem(),
            }, "kubernetes.io/tls");
        }

        _cluster.Requests.Clear();

        var leaves = await TargetCatalog.Create(_cluster.Connection, new TargetSpec("cert-manager", new Dictionary<string, string> { ["issuerName"] = "mesh-ca" })).ReportLeavesAsync();

        Assert.Equal(Namespaces - 1, leaves.Leaves.Count);
        Assert.All(leaves.Leaves, l => Assert.Equal(_pki.A.Intermediate.Certificate, Assert.Single(l.Intermediates)));
        AssertAtMostFourListsAndNoGets("certificates");
        AssertAtMostFourListsAndNoGets("secrets");
    }
}
