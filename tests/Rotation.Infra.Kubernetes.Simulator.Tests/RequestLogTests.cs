using System.Text;
using k8s;
using k8s.Models;
using Rotation.Infra.Kubernetes.Simulator.Seeding;

namespace Rotation.Infra.Kubernetes.Simulator.Tests;

public sealed class RequestLogTests
{
    [Fact]
    public async Task Calls_are_counted_per_verb_and_resource_and_seeding_does_not_count()
    {
        await using var h = await SimulatorHarness.StartAsync();
        h.Server.Store.CreateNamespaces(3);
        h.Server.Store.PutSecret("ns-0000", "s", new Dictionary<string, string> { ["k"] = "v" });

        await h.Client.ListNamespaceAsync();
        await h.Client.ListNamespaceAsync(limit: 2);
        var secret = await h.Client.ReadNamespacedSecretAsync("s", "ns-0000");
        secret.Data["k"] = Encoding.UTF8.GetBytes("w");
        await h.Client.ReplaceNamespacedSecretAsync(secret, "s", "ns-0000");

        Assert.Equal(2, h.Server.Requests.Count("list", "namespaces"));
        Assert.Equal(1, h.Server.Requests.Count("get", "secrets"));
        Assert.Equal(1, h.Server.Requests.Count("update", "secrets"));
        Assert.Equal(0, h.Server.Requests.Count("create", "secrets"));
        var write = Assert.Single(h.Server.Requests.Writes());
        Assert.Equal("/api/v1/namespaces/ns-0000/secrets/s", write.Request.Path);
        Assert.Equal(200, write.StatusCode);
        Assert.Contains("limit=2", h.Server.Requests.Entries[1].Request.Query, StringComparison.Ordinal);
        Assert.Equal(2, h.Server.Requests.CountsByVerbAndResource()[("list", "namespaces")]);
    }

    [Fact]
    public async Task Kubeconfig_text_gives_a_working_client()
    {
        await using var h = await SimulatorHarness.StartAsync(new SimulatedKubeApiServerOptions { BearerToken = "t0k" });
        var path = Path.Combine(Path.GetTempPath(), $"kubeconfig-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(path, h.Server.CreateKubeconfigYaml("sim"));
        try
        {
            var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(path, currentContext: "sim");
            using var client = new k8s.Kubernetes(config);

            var ns = await client.ReadNamespaceAsync("kube-system");

            Assert.Equal("kube-system", ns.Metadata.Name);
            Assert.Equal("Active", ns.Status.Phase);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
