using System.Text.Json.Nodes;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Rotations;
using Rotation.Infra.Kubernetes.Simulator.Controllers;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Infra.Kubernetes.Targets;
using Rotation.Infra.Kubernetes.Tests.Support;

namespace Rotation.Infra.Kubernetes.Tests;

/// <summary>trust-manager rules from cert-manager/trust-manager at fc1b53ddc28eb24d5f7d4c6374992785f1977909 (after v0.24.0).</summary>
public sealed class TrustManagerUpstreamRulesTests : IAsyncLifetime
{
    private readonly Material _pki = new();
    private SimCluster _cluster = null!;

    private KubeObjectStore Store => _cluster.Store;

    public async Task InitializeAsync()
    {
        _cluster = await SimCluster.StartAsync(controllers: true);
        Store.PutConfigMap("cert-manager", "mesh-roots", new Dictionary<string, string> { ["ca.crt"] = _pki.OnlyA.ToPem() });
        foreach (var ns in new[] { "orders", "payments" })
            Store.EnsureNamespace(ns, new Dictionary<string, string> { ["mesh"] = "on" });
        Store.EnsureNamespace("legacy", new Dictionary<string, string> { ["mesh"] = "off" });
        Store.PutBundle("mesh-bundle", [("mesh-roots", "ca.crt")], "roots.pem");
        Store.Modify(ResourceKinds.Bundles, null, "mesh-bundle", b =>
        {
            b["spec"]!["target"]!["namespaceSelector"] = new JsonObject
            {
                ["matchExpressions"] = new JsonArray(new JsonObject { ["key"] = "mesh", ["operator"] = "In", ["values"] = new JsonArray("on") }),
            };
            return b;
        });
        await Eventually.UntilAsync(() => Store.TryGet(ResourceKinds.ConfigMaps, "payments", "mesh-bundle") is not null);
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private KubernetesTarget Target() => TargetCatalog.Create(_cluster.Connection,
        new TargetSpec("trust-manager", new Dictionary<string, string> { ["bundle"] = "mesh-bundle", ["sourceName"] = "mesh-roots" }));

    [Fact]
    public async Task Targets_follow_the_source_in_hash_order_while_Synced_keeps_the_old_generation()
    {
        var synced = Conditions.Find(Store.Get(ResourceKinds.Bundles, null, "mesh-bundle"), "Synced")!.ToJsonString();
        Store.PutConfigMap("cert-manager", "mesh-roots", new Dictionary<string, string> { ["ca.crt"] = _pki.B.Root.Certificate.ToPem() + _pki.A.Root.Certificate.ToPem() + "\n" + _pki.B.Root.Certificate.ToPem() });
        var expected = new[] { _pki.A.Root.Certificate, _pki.B.Root.Certificate }.OrderBy(c => c.Sha256, StringComparer.Ordinal).Select(c => c.Sha256).ToList();

        await Eventually.UntilAsync(() => Pem.ReadCertificates(KubeObjects.ConfigMapText(Store.Get(ResourceKinds.ConfigMaps, "payments", "mesh-bundle"), "roots.pem")!).Count == 2);

        Assert.Equal(expected, Pem.ReadCertificates(KubeObjects.ConfigMapText(Store.Get(ResourceKinds.ConfigMaps, "payments", "mesh-bundle"), "roots.pem")!).Select(c => c.Sha256));
        Assert.Null(Store.TryGet(ResourceKinds.ConfigMaps, "legacy", "mesh-bundle"));
        // pkg/bundle/bundle.go: Synced carries the Bundle's generation; a source edit does not change it.
        var after = Conditions.Find(Store.Get(ResourceKinds.Bundles, null, "mesh-bundle"), "Synced")!;
        Assert.Equal("True", KubeObjects.StringAt(after, "status"));
        Assert.Equal(KubeObjects.Generation(Store.Get(ResourceKinds.Bundles, null, "mesh-bundle")), KubeObjects.LongAt(after["observedGeneration"]));
        Assert.NotNull(synced);
    }

    [Fact]
    public async Task An_unrelated_configmap_with_the_bundles_name_is_not_evidence()
    {
        Store.EnsureNamespace("tools");
        Store.PutConfigMap("tools", "mesh-bundle", new Dictionary<string, string> { ["roots.pem"] = "not a bundle" });

        var trust = await Target().ReportTrustAsync();

        Assert.DoesNotContain(trust.Stores, s => s.Location.Contains("tools/", StringComparison.Ordinal));
        Assert.Equal(["configmap orders/mesh-bundle", "configmap payments/mesh-bundle"], trust.Stores.Skip(1).Select(s => s.Location));
        Assert.Contains("not that their consumers reloaded it", trust.Stores[0].Location, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_target_stops_the_pass_and_holds_the_gate_with_the_reason_while_later_namespaces_keep_old_content()
    {
        _cluster.Mesh!.TrustManager.BeforeTargetWrite = (ns, _) =>
        {
            if (ns == "orders")
                throw new InvalidOperationException("admission webhook denied the request");
        };

        await Target().ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));
        var trust = await Eventually.UntilAsync(() => Target().ReportTrustAsync(), r => r.Stores.Any(s => s.Location.Contains("Synced=False", StringComparison.Ordinal)));

        Assert.Contains(trust.Stores, s => s.Location.StartsWith("Bundle mesh-bundle (Synced=False: SyncConfigMapTargetFailed", StringComparison.Ordinal));
        var payments = trust.Stores.Single(s => s.Location == "configmap payments/mesh-bundle");
        Assert.Equal([_pki.A.Root.Certificate.Sha256], payments.Sha256Fingerprints);
    }

    [Fact]
    public async Task Terminating_namespaces_are_skipped_and_secret_targets_are_written_and_read()
    {
        Store.EnsureNamespace("closing", new Dictionary<string, string> { ["mesh"] = "on" });
        Store.Modify(ResourceKinds.Namespaces, null, "closing", n =>
        {
            n["status"] = new JsonObject { ["phase"] = "Terminating" };
            return n;
        }, WriteScope.All);
        Store.Modify(ResourceKinds.Bundles, null, "mesh-bundle", b =>
        {
            b["spec"]!["target"]!["secret"] = new JsonObject { ["key"] = "roots.pem" };
            return b;
        });

        await Eventually.UntilAsync(() => Store.TryGet(ResourceKinds.Secrets, "payments", "mesh-bundle") is not null);
        var trust = await Target().ReportTrustAsync();

        Assert.Null(Store.TryGet(ResourceKinds.ConfigMaps, "closing", "mesh-bundle"));
        Assert.Contains(trust.Stores, s => s.Location == "secret payments/mesh-bundle" && s.Sha256Fingerprints.Single() == _pki.A.Root.Certificate.Sha256);
    }

    [Fact]
    public async Task A_ClusterBundle_of_the_same_name_is_refused_at_preflight()
    {
        var cluster = KubeObjects.New(ResourceKinds.ClusterBundles, null, "mesh-bundle");
        cluster["spec"] = new JsonObject();
        Store.Put(ResourceKinds.ClusterBundles, cluster);

        var report = await Target().PreflightAsync(RotationKind.Root);

        var check = Assert.Single(report.Checks, c => !c.Passed);
        Assert.Equal("ClusterBundle", check.Name);
        Assert.Contains("trust-manager.io/v1alpha2", check.Detail, StringComparison.Ordinal);
    }
}
