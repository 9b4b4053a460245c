using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Api;

/// <summary>
/// The API server's window of recent changes that watches start from and resume from, shaped from the watch cache
/// (kubernetes/kubernetes 00f3bd4418723bfd579a3b13ac1f824083ac5942,
/// staging/src/k8s.io/apiserver/pkg/storage/cacher/watch_cache.go): a bounded window of events ordered by resource
/// version; a watch from a version older than the window's start fails with
/// <c>errors.NewResourceExpired("too old resource version: %d (%d)")</c>, i.e. 410 reason Expired, and the client must
/// list again. Tests use <see cref="Compact"/> to drop the window at once (as etcd compaction does) and
/// <see cref="DropAll"/> to end every open watch (an API server restart, a proxy cutting idle streams).
/// </summary>
public sealed class WatchHistory
{
    private readonly Lock _lock = new();
    private readonly LinkedList<ObjectChangedEventArgs> _events = new();
    private readonly List<Channel<ObjectChangedEventArgs>> _watchers = [];
    private readonly int _capacity;
    private readonly KubeObjectStore _store;
    private long _evictedUpTo;

    public WatchHistory(KubeObjectStore store, int capacity)
    {
        _capacity = capacity;
        _store = store;
        store.Changed += (_, change) => Record(change);
    }

    /// <summary>How many watches have been ended by <see cref="DropAll"/>.</summary>
    public int Dropped { get; private set; }

    /// <summary>Watches open now.</summary>
    public int Open
    {
        get { lock (_lock) return _watchers.Count; }
    }

    /// <summary>
    /// Forgets every event so far, as etcd compaction at the current revision does: a watch that resumes from any older
    /// resource version gets 410 Expired and must list again; one from the current version (a fresh list) is served.
    /// </summary>
    public void Compact()
    {
        var current = long.Parse(_store.CurrentResourceVersion, CultureInfo.InvariantCulture);
        lock (_lock)
        {
            _evictedUpTo = Math.Max(_evictedUpTo, current);
            _events.Clear();
        }
    }

    /// <summary>Ends every open watch stream now; clients see the response end and must watch again.</summary>
    public void DropAll()
    {
        lock (_lock)
        {
            foreach (var watcher in _watchers)
                watcher.Writer.TryComplete();
            Dropped += _watchers.Count;
            _watchers.Clear();
        }
    }

    /// <summary>
    /// Starts a watch after <paramref name="resourceVersion"/>: the events after it still in the window, then a channel
    /// of every later change. Null when that version is older than the window (410 Expired); <paramref name="oldest"/>
    /// then says where the window starts.
    /// </summary>
    public (IReadOnlyList<ObjectChangedEventArgs> Past, ChannelReader<ObjectChangedEventArgs> Live)? Subscribe(long resourceVersion, out long oldest)
    {
        var channel = Channel.CreateUnbounded<ObjectChangedEventArgs>(new UnboundedChannelOptions { SingleReader = true });
        lock (_lock)
        {
            oldest = _evictedUpTo;
            if (resourceVersion < _evictedUpTo)
                return null;
            var past = _events.Where(e => Version(e) > resourceVersion).ToList();
            _watchers.Add(channel);
            return (past, channel.Reader);
        }
    }

    /// <summary>Starts a watch from now (resourceVersion unset or 0: the current objects are sent as ADDED first).</summary>
    public ChannelReader<ObjectChangedEventArgs> SubscribeFromNow()
    {
        var channel = Channel.CreateUnbounded<ObjectChangedEventArgs>(new UnboundedChannelOptions { SingleReader = true });
        lock (_lock)
            _watchers.Add(channel);
        return channel.Reader;
    }

    public void Unsubscribe(ChannelReader<ObjectChangedEventArgs> reader)
    {
        lock (_lock)
            _watchers.RemoveAll(w => w.Reader == reader);
    }

    private void Record(ObjectChangedEventArgs change)
    {
        if (change.Type == ObjectChangeType.Deleted && change.Object is { } gone)
        {
            // A DELETED event carries the object at the deletion's resource version.
            KubeObjects.Metadata(gone)["resourceVersion"] = change.ResourceVersion;
        }

        lock (_lock)
        {
            // Changes are raised outside the store's lock, so two writers may arrive out of order: keep the window sorted.
            var node = _events.Last;
            while (node is not null && Version(node.Value) > Version(change))
                node = node.Previous;
            if (node is null)
                _events.AddFirst(change);
            else
                _events.AddAfter(node, change);
            while (_events.Count > _capacity)
            {
                _evictedUpTo = Math.Max(_evictedUpTo, Version(_events.First!.Value));
                _events.RemoveFirst();
            }

            foreach (var watcher in _watchers)
                watcher.Writer.TryWrite(change);
        }
    }

    private static long Version(ObjectChangedEventArgs change) => long.Parse(change.ResourceVersion, CultureInfo.InvariantCulture);

    /// <summary>One line of a watch stream: {"type": ADDED|MODIFIED|DELETED|BOOKMARK|ERROR, "object": ...}.</summary>
    public static string EventLine(string type, JsonNode? obj) =>
        new JsonObject { ["type"] = type, ["object"] = obj?.DeepClone() }.ToJsonString() + "\n";

    public static string TypeOf(ObjectChangeType type) => type switch
    {
        ObjectChangeType.Added => "ADDED",
        ObjectChangeType.Modified => "MODIFIED",
        _ => "DELETED",
    };
}
