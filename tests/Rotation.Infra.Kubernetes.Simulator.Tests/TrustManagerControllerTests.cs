using System.Text.Json;
using k8s;
using k8s.Models;
using Rotation.Core.Pki;
using Rotation.Infra.Kubernetes.Simulator.Controllers;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Testing;

namespace Rotation.Infra.Kubernetes.Simulator.Tests;

public sealed class TrustManagerControllerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(50);
    private static readonly Dictionary<string, string> Meshed = new() { ["mesh"] = "enabled" };

    [Fact]
    public async Task Bundle_is_written_to_selected_namespaces_and_follows_its_sources()
    {
        await using var h = await SimulatorHarness.StartAsync();
        var rootA = TestPki.Root(Now, "CN=Root A");
        var rootB = TestPki.Root(Now, "CN=Root B");
        h.Server.Store.PutConfigMap(CertManagerNames.Namespace, "root-a", new Dictionary<string, string> { ["ca.crt"] = rootA.Certificate.ToPem() });
        h.Server.Store.PutConfigMap(CertManagerNames.Namespace, "root-b", new Dictionary<string, string> { ["ca.crt"] = rootA.Certificate.ToPem() });
        h.Server.Store.CreateNamespaces(2, "meshed-", Meshed);
        h.Server.Store.EnsureNamespace("plain");
        h.Server.Store.PutBundle("mesh-roots", [("root-a", "ca.crt"), ("root-b", "ca.crt")], "roots.pem", Meshed);
        await using var trustManager = new TrustManagerController(h.Server.Store, new MeshControllerOptions { PropagationDelay = Delay });
        var trust = new ClusterTrustView(h.Server.Store);

        trustManager.Start();
        await Eventually.TrueAsync(
            () => Conditions.IsTrue(h.Server.Store.Get(ResourceKinds.Bundles, null, "mesh-roots"), "Synced"),
            "bundle synced");

        // Duplicate blocks collapse to one; trust-manager trims the joined PEM (pkg/util/cert_pool.go, fc1b53dd).
        Assert.Equal(rootA.Certificate.ToPem().Trim(), trust.BundlePems("meshed-0000")["mesh-roots"]);
        Assert.Empty(trust.BundlePems("plain"));
        var bundle = (JsonElement)await h.Client.GetClusterCustomObjectAsync("trust.cert-manager.io", "v1alpha1", "bundles", "mesh-roots");
        var synced = Assert.Single(bundle.GetProperty("status").GetProperty("conditions").EnumerateArray());
        Assert.Equal("Synced", synced.GetProperty("type").GetString());
        Assert.Equal("True", synced.GetProperty("status").GetString());
        Assert.Equal(1, synced.GetProperty("observedGeneration").GetInt64());

        var source = await h.Client.ReadNamespacedConfigMapAsync("root-b", CertManagerNames.Namespace);
        source.Data["ca.crt"] = rootB.Certificate.ToPem();
        await h.Client.ReplaceNamespacedConfigMapAsync(source, "root-b", CertManagerNames.Namespace);
        // Ordered by SHA-256 of the DER and trimmed, as trust-manager emits them.
        var expected = string.Join("\n", new[] { rootA.Certificate, rootB.Certificate }.OrderBy(c => c.Sha256, StringComparer.Ordinal).Select(c => c.ToPem().Trim()));
        await Eventually.TrueAsync(() => trust.BundlePems("meshed-0000").GetValueOrDefault("mesh-roots") == expected, "both roots in meshed-0000");
        Assert.Equal(expected, trust.BundlePems("meshed-0001")["mesh-roots"]);

        var unlabel = new V1Patch("""{"metadata":{"labels":{"mesh":null}}}""", V1Patch.PatchType.MergePatch);
        await h.Client.PatchNamespaceAsync(unlabel, "meshed-0001");
        await Eventually.TrueAsync(() => h.Server.Store.TryGet(ResourceKinds.ConfigMaps, "meshed-0001", "mesh-roots") is null, "bundle removed from unselected namespace");
        Assert.Null(trustManager.LastError);
    }

    [Fact]
    public async Task A_missing_source_leaves_targets_alone_and_reports_not_synced()
    {
        await using var h = await SimulatorHarness.StartAsync();
        h.Server.Store.EnsureNamespace(CertManagerNames.Namespace);
        h.Server.Store.PutBundle("mesh-roots", [("absent", "ca.crt")], "roots.pem");
        await using var trustManager = new TrustManagerController(h.Server.Store, new MeshControllerOptions { PropagationDelay = Delay });
        trustManager.Start();

        await Eventually.TrueAsync(() => Conditions.Find(h.Server.Store.Get(ResourceKinds.Bundles, null, "mesh-roots"), "Synced") is not null, "a Synced condition");

        var condition = Conditions.Find(h.Server.Store.Get(ResourceKinds.Bundles, null, "mesh-roots"), "Synced")!;
        Assert.Equal("False", KubeObjects.StringAt(condition, "status"));
        Assert.Empty(h.Server.Store.List(ResourceKinds.ConfigMaps, filter: c => KubeObjects.Name(c) == "mesh-roots").Items);
    }
}
