using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Tests;

public sealed class PatchTests
{
    private static V1Deployment Istiod(string multiRoot) => new()
    {
        Metadata = new V1ObjectMeta { Name = "istiod" },
        Spec = new V1DeploymentSpec
        {
            Replicas = 1,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "istiod" } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "istiod" } },
                Spec = new V1PodSpec
                {
                    Containers =
                    [
                        new V1Container
                        {
                            Name = "discovery",
                            Image = "istio/pilot",
                            Env = [new V1EnvVar { Name = "ISTIO_MULTIROOT_MESH", Value = multiRoot }, new V1EnvVar { Name = "PILOT_TRACE_SAMPLING", Value = "1" }],
                        },
                    ],
                },
            },
        },
    };

    [Fact]
    public async Task Merge_patch_sets_the_restart_annotation_and_bumps_generation()
    {
        await using var h = await SimulatorHarness.StartAsync();
        h.Server.Store.EnsureNamespace("istio-system");
        var created = await h.Client.CreateNamespacedDeploymentAsync(Istiod("false"), "istio-system");
        var patch = new V1Patch(
            """{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-01-01T00:00:00Z"}}}}}""",
            V1Patch.PatchType.MergePatch);

        var patched = await h.Client.PatchNamespacedDeploymentAsync(patch, "istiod", "istio-system");

        Assert.Equal("2026-01-01T00:00:00Z", patched.Spec.Template.Metadata.Annotations["kubectl.kubernetes.io/restartedAt"]);
        Assert.Equal(created.Metadata.Generation + 1, patched.Metadata.Generation);
        Assert.Equal("discovery", Assert.Single(patched.Spec.Template.Spec.Containers).Name);
    }

    [Fact]
    public async Task Strategic_merge_patch_merges_containers_and_env_by_name()
    {
        await using var h = await SimulatorHarness.StartAsync();
        h.Server.Store.EnsureNamespace("istio-system");
        await h.Client.CreateNamespacedDeploymentAsync(Istiod("false"), "istio-system");
        var patch = new V1Patch(
            """{"spec":{"template":{"spec":{"containers":[{"name":"discovery","env":[{"name":"ISTIO_MULTIROOT_MESH","value":"true"}]}]}}}}""",
            V1Patch.PatchType.StrategicMergePatch);

        var patched = await h.Client.PatchNamespacedDeploymentAsync(patch, "istiod", "istio-system");

        var container = Assert.Single(patched.Spec.Template.Spec.Containers);
        Assert.Equal("istio/pilot", container.Image);
        Assert.Equal("true", container.Env.Single(e => e.Name == "ISTIO_MULTIROOT_MESH").Value);
        Assert.Equal("1", container.Env.Single(e => e.Name == "PILOT_TRACE_SAMPLING").Value);
    }

    [Fact]
    public async Task Json_patch_test_on_resource_version_guards_the_write()
    {
        await using var h = await SimulatorHarness.StartAsync();
        var cm = h.Server.Store.PutConfigMap("default", "c", new Dictionary<string, string> { ["a"] = "1" });
        var version = KubeObjects.ResourceVersion(cm);
        var ok = new V1Patch(
            $$"""[{"op":"test","path":"/metadata/resourceVersion","value":"{{version}}"},{"op":"replace","path":"/data/a","value":"2"}]""",
            V1Patch.PatchType.JsonPatch);

        var patched = await h.Client.PatchNamespacedConfigMapAsync(ok, "c", "default");
        var stale = await Assert.ThrowsAsync<HttpOperationException>(() => h.Client.PatchNamespacedConfigMapAsync(ok, "c", "default"));

        Assert.Equal("2", patched.Data["a"]);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, stale.Response.StatusCode);
    }

    [Fact]
    public async Task Merge_patch_carrying_a_stale_resource_version_conflicts()
    {
        await using var h = await SimulatorHarness.StartAsync();
        var cm = h.Server.Store.PutConfigMap("default", "c", new Dictionary<string, string> { ["a"] = "1" });
        h.Server.Store.PutConfigMap("default", "c", new Dictionary<string, string> { ["a"] = "changed" });
        var patch = new V1Patch(
            $$$"""{"metadata":{"resourceVersion":"{{{KubeObjects.ResourceVersion(cm)}}}"},"data":{"a":"2"}}""",
            V1Patch.PatchType.MergePatch);

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => h.Client.PatchNamespacedConfigMapAsync(patch, "c", "default"));

        Assert.Equal(HttpStatusCode.Conflict, e.Response.StatusCode);
        Assert.Equal("changed", KubeObjects.ConfigMapText(h.Server.Store.Get(ResourceKinds.ConfigMaps, "default", "c"), "a"));
    }

    [Fact]
    public async Task Server_side_apply_creates_then_merges_and_requires_a_field_manager()
    {
        await using var h = await SimulatorHarness.StartAsync();
        h.Server.Store.EnsureNamespace("app");
        var applied = new V1ConfigMap
        {
            ApiVersion = "v1",
            Kind = "ConfigMap",
            Metadata = new V1ObjectMeta { Name = "istio-ca-root-cert", NamespaceProperty = "app" },
            Data = new Dictionary<string, string> { ["root-cert.pem"] = "A" },
        };

        var created = await h.Client.PatchNamespacedConfigMapAsync(new V1Patch(applied, V1Patch.PatchType.ApplyPatch), "istio-ca-root-cert", "app", fieldManager: "rotation");
        applied.Data = new Dictionary<string, string> { ["extra"] = "B" };
        var merged = await h.Client.PatchNamespacedConfigMapAsync(new V1Patch(applied, V1Patch.PatchType.ApplyPatch), "istio-ca-root-cert", "app", fieldManager: "rotation");
        var noManager = await Assert.ThrowsAsync<HttpOperationException>(() =>
            h.Client.PatchNamespacedConfigMapAsync(new V1Patch(applied, V1Patch.PatchType.ApplyPatch), "istio-ca-root-cert", "app"));

        Assert.Equal("A", created.Data["root-cert.pem"]);
        Assert.Equal("A", merged.Data["root-cert.pem"]);
        Assert.Equal("B", merged.Data["extra"]);
        Assert.Contains(merged.Metadata.ManagedFields, m => m.Manager == "rotation" && m.Operation == "Apply");
        Assert.Equal(HttpStatusCode.BadRequest, noManager.Response.StatusCode);
    }

    [Fact]
    public async Task Dry_run_writes_answer_but_change_nothing()
    {
        await using var h = await SimulatorHarness.StartAsync();
        var cm = new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" }, Data = new Dictionary<string, string> { ["a"] = "1" } };

        var answered = await h.Client.CreateNamespacedConfigMapAsync(cm, "default", dryRun: "All");

        Assert.Equal("1", answered.Data["a"]);
        Assert.Null(h.Server.Store.TryGet(ResourceKinds.ConfigMaps, "default", "c"));
    }

    [Fact]
    public async Task Certificate_status_changes_only_through_the_status_subresource()
    {
        await using var h = await SimulatorHarness.StartAsync();
        h.Server.Store.EnsureNamespace("apps");
        var certificate = new Dictionary<string, object>
        {
            ["apiVersion"] = "cert-manager.io/v1",
            ["kind"] = "Certificate",
            ["metadata"] = new Dictionary<string, object> { ["name"] = "web" },
            ["spec"] = new Dictionary<string, object> { ["secretName"] = "web-tls", ["issuerRef"] = new Dictionary<string, object> { ["name"] = "ca", ["kind"] = "Issuer" } },
            ["status"] = new Dictionary<string, object> { ["revision"] = 7 },
        };
        await h.Client.CreateNamespacedCustomObjectAsync(certificate, "cert-manager.io", "v1", "apps", "certificates");
        Assert.Null(h.Server.Store.Get(ResourceKinds.Certificates, "apps", "web")["status"]);

        var statusPatch = new V1Patch("""{"status":{"conditions":[{"type":"Issuing","status":"True","reason":"ManuallyTriggered"}]},"spec":{"secretName":"hijacked"}}""", V1Patch.PatchType.MergePatch);
        await h.Client.PatchNamespacedCustomObjectStatusAsync(statusPatch, "cert-manager.io", "v1", "apps", "certificates", "web");
        var mainPatch = new V1Patch("""{"status":{"conditions":[]},"spec":{"commonName":"web.apps"}}""", V1Patch.PatchType.MergePatch);
        await h.Client.PatchNamespacedCustomObjectAsync(mainPatch, "cert-manager.io", "v1", "apps", "certificates", "web");

        var stored = (JsonElement)await h.Client.GetNamespacedCustomObjectAsync("cert-manager.io", "v1", "apps", "certificates", "web");
        Assert.Equal("web-tls", stored.GetProperty("spec").GetProperty("secretName").GetString());
        Assert.Equal("web.apps", stored.GetProperty("spec").GetProperty("commonName").GetString());
        var condition = Assert.Single(stored.GetProperty("status").GetProperty("conditions").EnumerateArray());
        Assert.Equal("Issuing", condition.GetProperty("type").GetString());
        Assert.Equal(2, stored.GetProperty("metadata").GetProperty("generation").GetInt64());
    }

    [Fact]
    public async Task Cluster_scoped_bundles_are_served_through_custom_objects()
    {
        await using var h = await SimulatorHarness.StartAsync();
        var bundle = new Dictionary<string, object>
        {
            ["apiVersion"] = "trust.cert-manager.io/v1alpha1",
            ["kind"] = "Bundle",
            ["metadata"] = new Dictionary<string, object> { ["name"] = "mesh-roots" },
            ["spec"] = new Dictionary<string, object> { ["sources"] = new object[] { new Dictionary<string, object> { ["inLine"] = "PEM" } } },
        };

        await h.Client.CreateClusterCustomObjectAsync(bundle, "trust.cert-manager.io", "v1alpha1", "bundles");
        var listed = (JsonElement)await h.Client.ListClusterCustomObjectAsync("trust.cert-manager.io", "v1alpha1", "bundles");
        var status = new V1Patch("""{"status":{"conditions":[{"type":"Synced","status":"True"}]}}""", V1Patch.PatchType.MergePatch);
        await h.Client.PatchClusterCustomObjectStatusAsync(status, "trust.cert-manager.io", "v1alpha1", "bundles", "mesh-roots");

        Assert.Equal("BundleList", listed.GetProperty("kind").GetString());
        Assert.Equal("mesh-roots", Assert.Single(listed.GetProperty("items").EnumerateArray()).GetProperty("metadata").GetProperty("name").GetString());
        Assert.NotNull(h.Server.Store.Get(ResourceKinds.Bundles, null, "mesh-roots")["status"]);
    }

    [Theory]
    [InlineData("application/merge-patch+json", "not json")]
    [InlineData("application/json-patch+json", "{\"op\":\"add\"}")]
    [InlineData("application/json-patch+json", "[{\"op\":\"replace\",\"path\":\"/data/missing/deeper\",\"value\":1}]")]
    [InlineData("application/json-patch+json", "[{\"op\":\"move\",\"from\":\"/nope\",\"path\":\"/data/x\"}]")]
    [InlineData("application/json-patch+json", "[{\"op\":\"add\",\"path\":7}]")]
    [InlineData("text/plain", "{}")]
    public async Task Malformed_patches_are_client_errors_and_change_nothing(string contentType, string body)
    {
        await using var h = await SimulatorHarness.StartAsync();
        var before = h.Server.Store.PutConfigMap("default", "c", new Dictionary<string, string> { ["a"] = "1" });
        using var http = new HttpClient { BaseAddress = h.Server.BaseAddress };
        using var content = new StringContent(body, System.Text.Encoding.UTF8);
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);

        using var response = await http.PatchAsync(new Uri("api/v1/namespaces/default/configmaps/c", UriKind.Relative), content);

        Assert.InRange((int)response.StatusCode, 400, 499);
        Assert.Contains("\"kind\":\"Status\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(KubeObjects.ResourceVersion(before), KubeObjects.ResourceVersion(h.Server.Store.Get(ResourceKinds.ConfigMaps, "default", "c")));
    }
}
