using k8s;
using k8s.Models;
using Rotation.Infra.Kubernetes.Simulator;
using Rotation.Infra.Kubernetes.Watching;

namespace Rotation.Infra.Kubernetes.Tests;

/// <summary>
/// The adapter's watches on the objects gates read, against the simulated API server's watch: a change raises the
/// cluster's signal; a dropped stream resumes from its last resourceVersion (no re-list); 410 Expired re-lists.
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
        await UntilAsync(() => watch.Relists == 3 && server.Watches.Open == 3, "the three kinds listed and watching");

        var before = watch.Signal.Version;
        await client.CreateNamespacedConfigMapAsync(ConfigMap("istio-ca-root-cert"), "default");
        await UntilAsync(() => watch.Signal.Version > before, "a ConfigMap change raised the signal");

        // Dropped: each loop watches again from the version it saw last, without listing.
        server.Watches.DropAll();
        await UntilAsync(() => watch.Resumes >= 3 && server.Watches.Open == 3, "the watches resumed");
        Assert.Equal(3, watch.Relists);
        before = watch.Signal.Version;
        await client.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "cacerts" } }, "default");
        await UntilAsync(() => watch.Signal.Version > before, "a Secret change after the drop raised the signal");

        // 410: the window no longer reaches the versions the loops resume from, so they list again.
        await client.CreateNamespacedConfigMapAsync(ConfigMap("other"), "default");
        await client.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "unwatched" } }); // past every version a loop saw
        server.Watches.Compact();
        server.Watches.DropAll();
        await UntilAsync(() => watch.Relists >= 6 && server.Watches.Open == 3, "every loop re-listed after 410 Expired");
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
        await UntilAsync(() => watch.Relists == 3, "listed");

        // timeoutSeconds=1: each stream ends after a second and is re-established from its version.
        await UntilAsync(() => watch.Resumes >= 3, "the watches were renewed after their timeout", TimeSpan.FromSeconds(15));
        Assert.True(watch.Relists == 3, $"relisted {watch.Relists} times; last error {watch.LastError}");
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
