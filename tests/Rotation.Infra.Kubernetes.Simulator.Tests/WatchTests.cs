using System.Net;
using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Rotation.Infra.Kubernetes.Simulator.Tests;

/// <summary>
/// Watches through the real KubernetesClient watch API: events from a resourceVersion, a stream that drops (the
/// client resumes from the last version it saw and misses nothing), and 410 Expired for a version older than the
/// server's window (the client lists again).
/// </summary>
public sealed class WatchTests
{
    private const string Ns = "default";

    [Fact]
    public async Task A_watch_from_a_list_version_sees_added_modified_and_deleted_in_order()
    {
        await using var h = await SimulatorHarness.StartAsync();
        var list = await h.Client.ListNamespacedConfigMapAsync(Ns);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var events = Collect(h.Client, list.Metadata.ResourceVersion, stop.Token);

        await h.Client.CreateNamespacedConfigMapAsync(ConfigMap("roots", "A"), Ns);
        await h.Client.ReplaceNamespacedConfigMapAsync(ConfigMap("roots", "A+B"), "roots", Ns);
        await h.Client.DeleteNamespacedConfigMapAsync("roots", Ns);

        var seen = await TakeAsync(events.Reader, 3, stop.Token);
        Assert.Equal([WatchEventType.Added, WatchEventType.Modified, WatchEventType.Deleted], seen.Select(e => e.Type));
        Assert.Equal("A+B", seen[1].Object.Data["root-cert.pem"]);
        var versions = seen.Select(e => long.Parse(e.Object.Metadata.ResourceVersion)).ToList();
        Assert.Equal(versions.Order(), versions);
    }

    [Fact]
    public async Task A_dropped_watch_resumed_from_its_last_version_misses_nothing()
    {
        await using var h = await SimulatorHarness.StartAsync();
        var from = (await h.Client.ListNamespacedConfigMapAsync(Ns)).Metadata.ResourceVersion;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var first = Collect(h.Client, from, stop.Token);
        await h.Client.CreateNamespacedConfigMapAsync(ConfigMap("one", "A"), Ns);
        var before = await TakeAsync(first.Reader, 1, stop.Token);

        h.Server.Watches.DropAll();
        await first.Reader.Completion.WaitAsync(stop.Token);          // the client saw the stream end
        await h.Client.CreateNamespacedConfigMapAsync(ConfigMap("two", "B"), Ns); // while nobody watches

        var resumed = Collect(h.Client, before[^1].Object.Metadata.ResourceVersion, stop.Token);
        var after = await TakeAsync(resumed.Reader, 1, stop.Token);
        Assert.Equal(1, h.Server.Watches.Dropped);
        Assert.Equal((WatchEventType.Added, "two"), (after[0].Type, after[0].Object.Metadata.Name));
    }

    [Fact]
    public async Task A_watch_from_a_version_older_than_the_window_gets_410_Expired_and_a_relist_recovers()
    {
        await using var h = await SimulatorHarness.StartAsync();
        var stale = (await h.Client.ListNamespacedConfigMapAsync(Ns)).Metadata.ResourceVersion;
        await h.Client.CreateNamespacedConfigMapAsync(ConfigMap("roots", "A"), Ns);
        h.Server.Watches.Compact();

        var gone = await Assert.ThrowsAsync<HttpOperationException>(() =>
            h.Client.CoreV1.ListNamespacedConfigMapWithHttpMessagesAsync(Ns, resourceVersion: stale, watch: true));
        Assert.Equal(HttpStatusCode.Gone, gone.Response.StatusCode);
        var status = SimulatorHarness.StatusOf(gone);
        Assert.Equal("Expired", status.Reason);
        Assert.StartsWith($"too old resource version: {stale} (", status.Message);

        var relisted = await h.Client.ListNamespacedConfigMapAsync(Ns);
        Assert.Contains(relisted.Items, c => c.Metadata.Name == "roots");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var events = Collect(h.Client, relisted.Metadata.ResourceVersion, stop.Token);
        await h.Client.ReplaceNamespacedConfigMapAsync(ConfigMap("roots", "A+B"), "roots", Ns);
        Assert.Equal(WatchEventType.Modified, (await TakeAsync(events.Reader, 1, stop.Token))[0].Type);
    }

    [Fact]
    public async Task Bookmarks_carry_the_current_version_and_a_watch_without_version_starts_with_the_objects()
    {
        await using var h = await SimulatorHarness.StartAsync(new SimulatedKubeApiServerOptions { BookmarkInterval = TimeSpan.FromMilliseconds(50) });
        await h.Client.CreateNamespacedConfigMapAsync(ConfigMap("roots", "A"), Ns);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var events = Channel.CreateUnbounded<(WatchEventType Type, V1ConfigMap Object)>();
        _ = Task.Run(async () =>
        {
            await foreach (var e in h.Client.CoreV1.WatchListNamespacedConfigMapAsync(Ns, allowWatchBookmarks: true, cancellationToken: stop.Token))
                await events.Writer.WriteAsync(e, stop.Token);
        }, stop.Token);

        var seen = await TakeAsync(events.Reader, 2, stop.Token);
        Assert.Equal((WatchEventType.Added, "roots"), (seen[0].Type, seen[0].Object.Metadata.Name));
        Assert.Equal(WatchEventType.Bookmark, seen[1].Type);
        Assert.Equal(h.Server.Store.CurrentResourceVersion, seen[1].Object.Metadata.ResourceVersion);
    }

    private static Channel<(WatchEventType Type, V1ConfigMap Object)> Collect(k8s.Kubernetes client, string from, CancellationToken cancellationToken)
    {
        var events = Channel.CreateUnbounded<(WatchEventType, V1ConfigMap)>();
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var e in client.CoreV1.WatchListNamespacedConfigMapAsync(Ns, resourceVersion: from, cancellationToken: cancellationToken))
                    await events.Writer.WriteAsync(e, cancellationToken);
                events.Writer.TryComplete();
            }
            catch (Exception e)
            {
                events.Writer.TryComplete(e);
            }
        }, cancellationToken);
        return events;
    }

    private static async Task<List<(WatchEventType Type, V1ConfigMap Object)>> TakeAsync(ChannelReader<(WatchEventType, V1ConfigMap)> reader, int count, CancellationToken cancellationToken)
    {
        var taken = new List<(WatchEventType, V1ConfigMap)>();
        while (taken.Count < count)
            taken.Add(await reader.ReadAsync(cancellationToken));
        return taken;
    }

    private static V1ConfigMap ConfigMap(string name, string roots) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Ns },
        Data = new Dictionary<string, string> { ["root-cert.pem"] = roots },
    };
}
