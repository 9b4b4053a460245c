using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Rotations;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Infra.Kubernetes.Targets;
using Rotation.Infra.Kubernetes.Tests.Support;

namespace Rotation.Infra.Kubernetes.Tests;

public sealed class TrustManagerTargetTests : IAsyncLifetime
{
    private readonly Material _pki = new();
    private SimCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await SimCluster.StartAsync(controllers: true);
        _cluster.Store.PutConfigMap("cert-manager", "mesh-roots", new Dictionary<string, string> { ["ca.crt"] = _pki.OnlyA.ToPem() });
        foreach (var ns in new[] { "payments", "orders" })
            _cluster.Store.EnsureNamespace(ns, new Dictionary<string, string> { ["mesh"] = "on" });
        _cluster.Store.PutBundle("mesh-bundle", [("mesh-roots", "ca.crt")], "roots.pem", new Dictionary<string, string> { ["mesh"] = "on" });
        await Eventually.UntilAsync(() => _cluster.Store.TryGet(ResourceKinds.ConfigMaps, "orders", "mesh-bundle") is not null);
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private KubernetesTarget Target() => TargetCatalog.Create(_cluster.Connection, new TargetSpec("trust-manager",
        new Dictionary<string, string> { ["bundle"] = "mesh-bundle", ["sourceName"] = "mesh-roots" }));

    private static bool Holds(Rotation.Core.Ports.TrustReport report, TrustBundle bundle) =>
        report.Stores.All(s => s.Sha256Fingerprints.ToHashSet().SetEquals(bundle.Fingerprints));

    [Fact]
    public async Task Distributing_trust_writes_only_the_source_and_the_report_waits_for_trust_manager()
    {
        await _cluster.Mesh!.TrustManager.StopAsync(); // trust-manager lags: hold it still while we look
        _cluster.Requests.Clear();

        await Target().ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));
        var immediately = await Target().ReportTrustAsync();
        _cluster.Mesh.TrustManager.Start();

        var write = Assert.Single(_cluster.Writes());
        Assert.Equal(("update", "configmaps", "cert-manager", "mesh-roots"), (write.Request.Verb, write.Request.Resource, write.Request.Namespace, write.Request.Name));
        Assert.Contains(immediately.Stores, s => s.Location == "configmap orders/mesh-bundle" && !s.Sha256Fingerprints.Contains(_pki.B.Root.Certificate.Sha256));

        var synced = await Eventually.UntilAsync(() => Target().ReportTrustAsync(), r => Holds(r, _pki.Both));

        Assert.True(Holds(synced, _pki.Both));
        Assert.Contains(synced.Stores, s => s.Location == "configmap payments/mesh-bundle");
        Assert.DoesNotContain(synced.Stores, s => s.Location.StartsWith("configmap kube-system", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unsynced_bundle_is_reported_as_a_store_holding_nothing()
    {
        _cluster.Store.Modify(ResourceKinds.Bundles, null, "mesh-bundle", b =>
        {
            b["status"] = new System.Text.Json.Nodes.JsonObject
            {
                ["conditions"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["type"] = "Synced", ["status"] = "False", ["reason"] = "SourceNotFound", ["observedGeneration"] = 1 }),
            };
            return b;
        }, WriteScope.All);
        await _cluster.Mesh!.TrustManager.StopAsync();

        var report = await Target().ReportTrustAsync();

        var bundle = Assert.Single(report.Stores, s => s.Location.StartsWith("Bundle mesh-bundle", StringComparison.Ordinal));
        Assert.Contains("SourceNotFound", bundle.Location, StringComparison.Ordinal);
        Assert.Empty(bundle.Sha256Fingerprints);
    }

    [Fact]
    public async Task Applying_an_issuer_issues_nothing_and_writes_nothing_when_the_bundle_is_already_there()
    {
        await Target().ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));
        _cluster.Requests.Clear();

        await Target().ApplyIssuerAsync(_pki.IssuerB(_pki.Both), Material.Context(RotationPhase.SwitchIssuer));
        var leaves = await Target().ReportLeavesAsync();

        Assert.Empty(_cluster.Writes());
        Assert.True(leaves.Observable);
        Assert.Empty(leaves.Leaves);
    }

    [Fact]
    public async Task Preflight_refuses_a_bundle_that_does_not_read_the_source()
    {
        var wrong = TargetCatalog.Create(_cluster.Connection, new TargetSpec("trust-manager",
            new Dictionary<string, string> { ["bundle"] = "mesh-bundle", ["sourceName"] = "other-roots" }));

        var report = await wrong.PreflightAsync(RotationKind.Root);

        Assert.False(report.Passed);
        Assert.Contains(report.Checks, c => !c.Passed && c.Detail.Contains("does not read configmap cert-manager/other-roots", StringComparison.Ordinal));
        Assert.True((await Target().PreflightAsync(RotationKind.Root)).Passed);
    }
}
