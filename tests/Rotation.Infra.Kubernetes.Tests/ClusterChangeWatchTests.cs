using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Rotation.Infra.Kubernetes.Simulator;
using Rotation.Infra.Kubernetes.Simulator.Faults;
using Rotation.Infra.Kubernetes.Watching;

namespace Rotation.Infra.Kubernetes.Tests;

/// <summary>
/// The adapter's watches on the objects gates read, against the simulated API server's watch: a change raises the
/// cluster's signal; a dropped stream resumes from its last resourceVersion (no re-list); 410 Expired re-lists; a
/// custom resource the cluster does not serve stops its loop; a forbidden kind is retried with a growing pause.
/// </summary>
public sealed class ClusterChangeWatchTests
{
    [Fact]
    public async Task A_change_raises_the_signal_a_dropped_watch_resumes_and_410_relists()
    {
        await using var server = new SimulatedKubeApiServer();
        await server.StartAsync();
        using var client = server.CreateClient();
        await using var watch = new ClusterChangeWatch(client, TimeSpan.FromSeconds(30), TimeProvider.System);
        watch.Start();
        _state = () => $"relists {watch.Relists}, resumes {watch.Resumes}, open {server.Watches.Open}, dropped {server.Watches.Dropped}, last error {watch.LastError}";
        var kinds = watch.Kinds.Count;
        await UntilAsync(() => watch.Relists == kinds && server.Watches.Open == kinds, "every kind listed and watching");

        var before = watch.Signal.Version;
        await client.CreateNamespacedConfigMapAsync(ConfigMap("istio-ca-root-cert"), "default");
        await UntilAsync(() => watch.Signal.Version > before, "a ConfigMap change raised the signal");

        // Dropped: each loop watches again from the version it saw last, without listing.
        server.Watches.DropAll();
        await UntilAsync(() => watch.Resumes >= kinds && server.Watches.Open == kinds, "the watches resumed");
        Assert.Equal(kinds, watch.Relists);
        before = watch.Signal.Version;
        await client.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "cacerts" } }, "default");
        await UntilAsync(() => watch.Signal.Version > before, "a Secret change after the drop raised the signal");

        // 410: the window no longer reaches the versions the loops resume from, so they list again.
        await client.CreateNamespacedConfigMapAsync(ConfigMap("other"), "default");
        await client.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "unwatched" } }); // past every version a loop saw
        server.Watches.Compact();
        server.Watches.DropAll();
        await UntilAsync(() => watch.Relists >= 2 * kinds && server.Watches.Open == kinds, "every loop re-listed after 410 Expired");
        Assert.Contains(server.Requests.Entries, r => r.Request.Verb == "watch" && r.StatusCode == 410);
        before = watch.Signal.Version;
        await client.DeleteNamespacedConfigMapAsync("other", "default");
        await UntilAsync(() => watch.Signal.Version > before, "a change after the re-list raised the signal");
    }

    [Fact]
    public async Task A_watch_is_renewed_within_its_fallback_bound()
    {
        await using var server = new SimulatedKubeApiServer();
        await server.StartAsync();
        using var client = server.CreateClient();
        await using var watch = new ClusterChangeWatch(client, TimeSpan.FromSeconds(1), TimeProvider.System);
        watch.Start();
        var kinds = watch.Kinds.Count;
        await UntilAsync(() => watch.Relists == kinds, "listed");

        // timeoutSeconds=1: each stream ends after a second and is re-established from its version.
        await UntilAsync(() => watch.Resumes >= kinds, "the watches were renewed after their timeout", TimeSpan.FromSeconds(15));
        Assert.True(watch.Relists == kinds, $"relisted {watch.Relists} times; last error {watch.LastError}");
    }

    [Fact]
    public async Task Bundle_certificate_and_deployment_changes_raise_the_signal()
    {
        await using var server = new SimulatedKubeApiServer();
        await server.StartAsync();
        using var client = server.CreateClient();
        await using var watch = new ClusterChangeWatch(client, TimeSpan.FromSeconds(30), TimeProvider.System);
        watch.Start();
        _state = () => $"relists {watch.Relists}, open {server.Watches.Open}, last error {watch.LastError}";
        Assert.Contains("bundles.trust.cert-manager.io", watch.Kinds);
        Assert.Contains("certificates.cert-manager.io", watch.Kinds);
        await UntilAsync(() => server.Watches.Open == watch.Kinds.Count, "every kind watching");

        var before = watch.Signal.Version;
        await client.CustomObjects.CreateClusterCustomObjectAsync(
            new JsonObject { ["apiVersion"] = "trust.cert-manager.io/v1alpha1", ["kind"] = "Bundle", ["metadata"] = new JsonObject { ["name"] = "mesh-roots" }, ["spec"] = new JsonObject() },
            "trust.cert-manager.io", "v1alpha1", "bundles");
        await UntilAsync(() => watch.Signal.Version > before, "a Bundle change raised the signal");

        before = watch.Signal.Version;
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(
            new JsonObject { ["apiVersion"] = "cert-manager.io/v1", ["kind"] = "Certificate", ["metadata"] = new JsonObject { ["name"] = "web" }, ["spec"] = new JsonObject { ["secretName"] = "web-tls" } },
            "cert-manager.io", "v1", "default", "certificates");
        await UntilAsync(() => watch.Signal.Version > before, "a Certificate change raised the signal");

        before = watch.Signal.Version;
        await client.AppsV1.CreateNamespacedDeploymentAsync(
            new V1Deployment { Metadata = new V1ObjectMeta { Name = "linkerd-identity" }, Spec = new V1DeploymentSpec { Selector = new V1LabelSelector(), Template = new V1PodTemplateSpec() } },
            "default");
        await UntilAsync(() => watch.Signal.Version > before, "a Deployment change raised the signal");
        Assert.Empty(watch.NotServed);
    }

    [Fact]
    public async Task A_kind_the_cluster_does_not_serve_stops_its_loop_and_a_forbidden_one_backs_off()
    {
        await using var server = new SimulatedKubeApiServer();
        await server.StartAsync();
        // As an API server without cert-manager's CRDs answers (404 NotFound on the resource), and one whose RBAC
        // lacks list on trust-manager's Bundles (403).
        var notServed = server.Faults.Add("list", "certificates", Fault.Status(404, "NotFound", "the server could not find the requested resource"));
        var forbidden = server.Faults.Add("list", "bundles", Fault.Status(403, "Forbidden", "bundles.trust.cert-manager.io is forbidden"));
        using var client = server.CreateClient();
        await using var watch = new ClusterChangeWatch(client, TimeSpan.FromSeconds(8), TimeProvider.System);
        watch.Start();
        _state = () => $"not served [{string.Join(", ", watch.NotServed)}], 404 hits {notServed.Hits}, 403 hits {forbidden.Hits}, last error {watch.LastError}";

        await UntilAsync(() => watch.NotServed.Contains("certificates.cert-manager.io"), "the Certificates loop saw 404");
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Equal(1, notServed.Hits);
        // 1 s, 2 s, 4 s pauses: at most four lists in about 5 s, not one a second.
        Assert.InRange(forbidden.Hits, 2, 4);
        Assert.DoesNotContain("bundles.trust.cert-manager.io", watch.NotServed);

        // The other kinds still watch.
        var before = watch.Signal.Version;
        await client.CreateNamespacedConfigMapAsync(ConfigMap("istio-ca-root-cert"), "default");
        await UntilAsync(() => watch.Signal.Version > before, "a ConfigMap change still raised the signal");
    }

    private static V1ConfigMap ConfigMap(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Data = new Dictionary<string, string> { ["root-cert.pem"] = "x" },
    };

    private Func<string> _state = () => "";

    private async Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for: {what} ({_state()})");
            await Task.Delay(20);
        }
    }
}
