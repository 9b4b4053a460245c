using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Rotation.Infra.Kubernetes.Simulator.Seeding;

namespace Rotation.Infra.Kubernetes.Simulator.Tests;

public sealed class ListTests
{
    [Fact]
    public async Task Paginating_2000_namespaces_returns_every_one_once_in_ceil_n_over_limit_calls()
    {
        await using var h = await SimulatorHarness.StartAsync();
        h.Server.Store.CreateNamespaces(2000, "tenant-");
        const int limit = 300;
        var expected = 2000 + 4; // plus default, kube-system, kube-public, kube-node-lease
        h.Server.Requests.Clear();

        var names = new List<string>();
        string? token = null;
        string? listVersion = null;
        do
        {
            var page = await h.Client.ListNamespaceAsync(limit: limit, continueParameter: token);
            Assert.Equal("NamespaceList", page.Kind);
            listVersion ??= page.Metadata.ResourceVersion;
            Assert.Equal(listVersion, page.Metadata.ResourceVersion);
            names.AddRange(page.Items.Select(n => n.Metadata.Name));
            token = page.Metadata.ContinueProperty;
        }
        while (!string.IsNullOrEmpty(token));

        Assert.Equal(expected, names.Count);
        Assert.Equal(expected, names.Distinct().Count());
        Assert.Equal((int)Math.Ceiling(expected / (double)limit), h.Server.Requests.Count("list", "namespaces"));
    }

    [Fact]
    public async Task Pages_of_one_list_come_from_one_snapshot()
    {
        await using var h = await SimulatorHarness.StartAsync();
        foreach (var ns in h.Server.Store.CreateNamespaces(10, "app-"))
        {
            h.Server.Store.PutConfigMap(ns, "istio-ca-root-cert", new Dictionary<string, string> { ["root-cert.pem"] = "A" });
        }

        var first = await h.Client.ListConfigMapForAllNamespacesAsync(limit: 4);
        Assert.Equal(6, first.Metadata.RemainingItemCount);
        h.Server.Store.PutConfigMap("app-0009", "late-arrival", new Dictionary<string, string> { ["x"] = "1" });

        var rest = new List<V1ConfigMap>();
        var token = first.Metadata.ContinueProperty;
        while (!string.IsNullOrEmpty(token))
        {
            var page = await h.Client.ListConfigMapForAllNamespacesAsync(limit: 4, continueParameter: token);
            rest.AddRange(page.Items);
            token = page.Metadata.ContinueProperty;
        }

        Assert.Equal(10, first.Items.Count + rest.Count);
        Assert.DoesNotContain(rest, c => c.Metadata.Name == "late-arrival");
        Assert.Equal(11, (await h.Client.ListConfigMapForAllNamespacesAsync()).Items.Count);
    }

    [Fact]
    public async Task A_garbled_continue_token_is_a_bad_request_and_an_evicted_one_is_expired()
    {
        await using var h = await SimulatorHarness.StartAsync(new SimulatedKubeApiServerOptions { ListSnapshotCapacity = 1 });
        h.Server.Store.CreateNamespaces(5);
        var first = await h.Client.ListNamespaceAsync(limit: 2);
        await h.Client.ListNamespaceAsync(limit: 2); // evicts the first snapshot

        var garbled = await Assert.ThrowsAsync<HttpOperationException>(() => h.Client.ListNamespaceAsync(limit: 2, continueParameter: "not-a-token"));
        var expired = await Assert.ThrowsAsync<HttpOperationException>(() => h.Client.ListNamespaceAsync(limit: 2, continueParameter: first.Metadata.ContinueProperty));

        Assert.Equal(HttpStatusCode.BadRequest, garbled.Response.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, expired.Response.StatusCode);
        Assert.Equal("Expired", SimulatorHarness.StatusOf(expired).Reason);
    }

    [Theory]
    [InlineData("istio.io/rev=default", new[] { "a" })]
    [InlineData("istio.io/rev==default", new[] { "a" })]
    [InlineData("istio.io/rev!=default", new[] { "b", "c", "d" })]
    [InlineData("istio.io/rev in (default, canary)", new[] { "a", "b" })]
    [InlineData("istio.io/rev notin (default)", new[] { "b", "c", "d" })]
    [InlineData("istio.io/rev", new[] { "a", "b" })]
    [InlineData("!istio.io/rev", new[] { "c", "d" })]
    [InlineData("mesh=linkerd,istio.io/rev", new[] { "b" })]
    [InlineData("mesh in (linkerd,none),!istio.io/rev", new[] { "c" })]
    public async Task Label_selectors_filter_like_the_api_server(string selector, string[] expected)
    {
        await using var h = await SimulatorHarness.StartAsync();
        h.Server.Store.EnsureNamespace("a", new Dictionary<string, string> { ["istio.io/rev"] = "default" });
        h.Server.Store.EnsureNamespace("b", new Dictionary<string, string> { ["istio.io/rev"] = "canary", ["mesh"] = "linkerd" });
        h.Server.Store.EnsureNamespace("c", new Dictionary<string, string> { ["mesh"] = "linkerd" });
        h.Server.Store.EnsureNamespace("d", new Dictionary<string, string> { ["mesh"] = "other" });

        var list = await h.Client.ListNamespaceAsync(labelSelector: selector);

        var names = list.Items.Select(n => n.Metadata.Name).Where(n => n.Length == 1).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, names);
    }

    [Fact]
    public async Task A_malformed_label_selector_is_a_bad_request()
    {
        await using var h = await SimulatorHarness.StartAsync();

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => h.Client.ListNamespaceAsync(labelSelector: "a in (b"));

        Assert.Equal(HttpStatusCode.BadRequest, e.Response.StatusCode);
    }

    [Fact]
    public async Task Field_selectors_filter_by_name_namespace_and_pod_phase()
    {
        await using var h = await SimulatorHarness.StartAsync();
        foreach (var ns in new[] { "x", "y" })
        {
            h.Server.Store.PutConfigMap(ns, "same", new Dictionary<string, string> { ["k"] = ns });
            h.Server.Store.PutConfigMap(ns, "other", new Dictionary<string, string> { ["k"] = ns });
        }

        await h.Client.CreateNamespacedPodAsync(new V1Pod { Metadata = new V1ObjectMeta { Name = "p1" } }, "x");
        var running = new V1Pod { Metadata = new V1ObjectMeta { Name = "p2" } };
        await h.Client.CreateNamespacedPodAsync(running, "x");
        var p2 = await h.Client.ReadNamespacedPodAsync("p2", "x");
        p2.Status = new V1PodStatus { Phase = "Running" };
        await h.Client.ReplaceNamespacedPodStatusAsync(p2, "p2", "x");

        var byName = await h.Client.ListConfigMapForAllNamespacesAsync(fieldSelector: "metadata.name=same");
        var byNamespace = await h.Client.ListConfigMapForAllNamespacesAsync(fieldSelector: "metadata.namespace==y,metadata.name!=same");
        var runningPods = await h.Client.ListNamespacedPodAsync("x", fieldSelector: "status.phase=Running");
        var unsupported = await Assert.ThrowsAsync<HttpOperationException>(() => h.Client.ListConfigMapForAllNamespacesAsync(fieldSelector: "data.k=x"));

        Assert.Equal(["x", "y"], byName.Items.Select(c => c.Metadata.NamespaceProperty).ToArray());
        Assert.Equal("other", Assert.Single(byNamespace.Items).Metadata.Name);
        Assert.Equal("p2", Assert.Single(runningPods.Items).Metadata.Name);
        Assert.Equal(HttpStatusCode.BadRequest, unsupported.Response.StatusCode);
    }

    [Fact]
    public async Task Namespaced_list_only_sees_its_namespace()
    {
        await using var h = await SimulatorHarness.StartAsync();
        h.Server.Store.PutSecret("a", "s1", new Dictionary<string, string> { ["k"] = "v" });
        h.Server.Store.PutSecret("ab", "s2", new Dictionary<string, string> { ["k"] = "v" });

        var list = await h.Client.ListNamespacedSecretAsync("a");

        Assert.Equal("SecretList", list.Kind);
        Assert.Equal("s1", Assert.Single(list.Items).Metadata.Name);
        Assert.False(string.IsNullOrEmpty(list.Metadata.ResourceVersion));
    }
}
