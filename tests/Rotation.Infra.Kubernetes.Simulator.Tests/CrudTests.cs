using System.Net;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Tests;

public sealed class CrudTests
{
    private static V1Secret Secret(string ns, string name, string key, string value) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = new Dictionary<string, string> { ["app"] = "mesh" } },
        Data = new Dictionary<string, byte[]> { [key] = Encoding.UTF8.GetBytes(value) },
    };

    [Fact]
    public async Task Secret_round_trips_through_create_read_replace_delete()
    {
        await using var h = await SimulatorHarness.StartAsync();
        h.Server.Store.EnsureNamespace("istio-system");

        var created = await h.Client.CreateNamespacedSecretAsync(Secret("istio-system", "cacerts", "root-cert.pem", "ROOT-A"), "istio-system");
        Assert.False(string.IsNullOrEmpty(created.Metadata.Uid));
        Assert.NotNull(created.Metadata.CreationTimestamp);
        Assert.Equal("Secret", created.Kind);
        Assert.Equal("v1", created.ApiVersion);

        var read = await h.Client.ReadNamespacedSecretAsync("cacerts", "istio-system");
        Assert.Equal("ROOT-A", Encoding.UTF8.GetString(read.Data["root-cert.pem"]));
        Assert.Equal(created.Metadata.ResourceVersion, read.Metadata.ResourceVersion);

        read.Data["root-cert.pem"] = Encoding.UTF8.GetBytes("ROOT-A\nROOT-B");
        var replaced = await h.Client.ReplaceNamespacedSecretAsync(read, "cacerts", "istio-system");
        Assert.True(long.Parse(replaced.Metadata.ResourceVersion) > long.Parse(created.Metadata.ResourceVersion));
        Assert.Equal(created.Metadata.Uid, replaced.Metadata.Uid);
        Assert.Equal("ROOT-A\nROOT-B", Encoding.UTF8.GetString((await h.Client.ReadNamespacedSecretAsync("cacerts", "istio-system")).Data["root-cert.pem"]));

        var status = await h.Client.DeleteNamespacedSecretAsync("cacerts", "istio-system");
        Assert.Equal("Success", status.Status);
        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => h.Client.ReadNamespacedSecretAsync("cacerts", "istio-system"));
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);
        Assert.Equal("NotFound", SimulatorHarness.StatusOf(missing).Reason);
    }

    [Fact]
    public async Task Replace_with_a_stale_resource_version_is_a_conflict_and_changes_nothing()
    {
        await using var h = await SimulatorHarness.StartAsync();
        h.Server.Store.EnsureNamespace("linkerd");
        var first = await h.Client.CreateNamespacedSecretAsync(Secret("linkerd", "linkerd-identity-issuer", "tls.crt", "v1"), "linkerd");
        var stale = await h.Client.ReadNamespacedSecretAsync("linkerd-identity-issuer", "linkerd");

        first.Data["tls.crt"] = Encoding.UTF8.GetBytes("v2");
        await h.Client.ReplaceNamespacedSecretAsync(first, "linkerd-identity-issuer", "linkerd");

        stale.Data["tls.crt"] = Encoding.UTF8.GetBytes("v3");
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => h.Client.ReplaceNamespacedSecretAsync(stale, "linkerd-identity-issuer", "linkerd"));
        Assert.Equal(HttpStatusCode.Conflict, e.Response.StatusCode);
        var status = SimulatorHarness.StatusOf(e);
        Assert.Equal("Conflict", status.Reason);
        Assert.Equal(409, status.Code);
        Assert.Equal("v2", Encoding.UTF8.GetString((await h.Client.ReadNamespacedSecretAsync("linkerd-identity-issuer", "linkerd")).Data["tls.crt"]));
    }

    [Fact]
    public async Task Create_of_an_existing_object_is_already_exists()
    {
        await using var h = await SimulatorHarness.StartAsync();
        await h.Client.CreateNamespacedSecretAsync(Secret("default", "s", "k", "v"), "default");

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => h.Client.CreateNamespacedSecretAsync(Secret("default", "s", "k", "other"), "default"));

        Assert.Equal(HttpStatusCode.Conflict, e.Response.StatusCode);
        var status = SimulatorHarness.StatusOf(e);
        Assert.Equal("AlreadyExists", status.Reason);
        Assert.Equal("s", status.Details.Name);
        Assert.Equal("secrets", status.Details.Kind);
    }

    [Fact]
    public async Task Replace_of_a_missing_object_and_create_in_a_missing_namespace_are_not_found()
    {
        await using var h = await SimulatorHarness.StartAsync();

        var replace = await Assert.ThrowsAsync<HttpOperationException>(() => h.Client.ReplaceNamespacedSecretAsync(Secret("default", "nope", "k", "v"), "nope", "default"));
        var create = await Assert.ThrowsAsync<HttpOperationException>(() => h.Client.CreateNamespacedSecretAsync(Secret("ghost", "s", "k", "v"), "ghost"));

        Assert.Equal(HttpStatusCode.NotFound, replace.Response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, create.Response.StatusCode);
        Assert.Contains("namespaces \"ghost\" not found", SimulatorHarness.StatusOf(create).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_that_changes_nothing_keeps_the_resource_version()
    {
        await using var h = await SimulatorHarness.StartAsync();
        var created = await h.Client.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" }, Data = new Dictionary<string, string> { ["a"] = "1" } }, "default");

        var same = await h.Client.ReplaceNamespacedConfigMapAsync(created, "c", "default");

        Assert.Equal(created.Metadata.ResourceVersion, same.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Deleting_a_namespace_deletes_what_is_in_it()
    {
        await using var h = await SimulatorHarness.StartAsync();
        h.Server.Store.PutConfigMap("team-a", "c", new Dictionary<string, string> { ["a"] = "1" });

        await h.Client.DeleteNamespaceAsync("team-a");

        Assert.Null(h.Server.Store.TryGet(ResourceKinds.ConfigMaps, "team-a", "c"));
        Assert.Null(h.Server.Store.TryGet(ResourceKinds.Namespaces, null, "team-a"));
    }

    [Fact]
    public async Task Delete_honours_resource_version_preconditions()
    {
        await using var h = await SimulatorHarness.StartAsync();
        var stale = h.Server.Store.PutConfigMap("default", "c", new Dictionary<string, string> { ["a"] = "1" });
        var current = h.Server.Store.PutConfigMap("default", "c", new Dictionary<string, string> { ["a"] = "2" });

        var conflict = await Assert.ThrowsAsync<HttpOperationException>(() => h.Client.DeleteNamespacedConfigMapAsync(
            "c", "default", new V1DeleteOptions { Preconditions = new V1Preconditions { ResourceVersion = KubeObjects.ResourceVersion(stale) } }));
        Assert.Equal(HttpStatusCode.Conflict, conflict.Response.StatusCode);
        Assert.NotNull(h.Server.Store.TryGet(ResourceKinds.ConfigMaps, "default", "c"));

        await h.Client.DeleteNamespacedConfigMapAsync(
            "c", "default", new V1DeleteOptions { Preconditions = new V1Preconditions { ResourceVersion = KubeObjects.ResourceVersion(current) } });
        Assert.Null(h.Server.Store.TryGet(ResourceKinds.ConfigMaps, "default", "c"));
    }

    [Fact]
    public async Task Parallel_read_modify_write_loops_lose_no_update()
    {
        await using var h = await SimulatorHarness.StartAsync();
        h.Server.Store.PutConfigMap("default", "counter", new Dictionary<string, string> { ["n"] = "0" });
        var conflicts = 0;

        await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            while (true)
            {
                var cm = await h.Client.ReadNamespacedConfigMapAsync("counter", "default");
                cm.Data["n"] = (int.Parse(cm.Data["n"]) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
                try
                {
                    await h.Client.ReplaceNamespacedConfigMapAsync(cm, "counter", "default");
                    return;
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
                {
                    Interlocked.Increment(ref conflicts);
                }
            }
        }));

        Assert.Equal("16", KubeObjects.ConfigMapText(h.Server.Store.Get(ResourceKinds.ConfigMaps, "default", "counter"), "n"));
        Assert.Equal(16 + conflicts, h.Server.Requests.Count("update", "configmaps"));
    }

    [Fact]
    public async Task Version_and_discovery_answer()
    {
        await using var h = await SimulatorHarness.StartAsync();

        var version = await h.Client.GetCodeAsync();
        var groups = await ((k8s.IApisOperations)h.Client.Apis).GetAPIVersionsAsync();

        Assert.Equal(Api.Discovery.GitVersion, version.GitVersion);
        Assert.Contains(groups.Groups, g => g.Name == "cert-manager.io");
        Assert.Contains(groups.Groups, g => g.Name == "trust.cert-manager.io");
    }
}
