using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Api;

/// <summary>One page of a list, with the token to get the next one.</summary>
public sealed record ListPage(IReadOnlyList<string> ItemsJson, string ResourceVersion, string? Continue, long? RemainingItemCount);

/// <summary>
/// limit/continue pagination with the API server's guarantee: every page of one list comes from the same
/// snapshot (the resource version of the first page). Snapshots are kept for a bounded number of unfinished lists;
/// a token for an evicted snapshot gets 410 Expired, like a continue token older than etcd compaction.
/// </summary>
public sealed class ListPager
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Snapshot> _snapshots = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    private readonly int _capacity;

    public ListPager(int capacity = 64) => _capacity = capacity;

    /// <summary>Starts a list. <paramref name="listKey"/> ties tokens to the resource, namespace and selectors.</summary>
    public ListPage First(IReadOnlyList<string> itemsJson, string resourceVersion, int? limit, string listKey)
    {
        if (limit is not > 0 || itemsJson.Count <= limit)
        {
            return new ListPage(itemsJson, resourceVersion, null, null);
        }

        var id = Guid.NewGuid().ToString("N");
        lock (_gate)
        {
            _snapshots[id] = new Snapshot(itemsJson, resourceVersion, listKey);
            _order.Enqueue(id);
            while (_order.Count > _capacity)
            {
                _snapshots.Remove(_order.Dequeue());
            }
        }

        return Page(id, _snapshots[id], 0, limit.Value);
    }

    public ListPage Next(string continueToken, int? limit, string listKey)
    {
        var (id, offset) = Decode(continueToken);
        Snapshot? snapshot;
        lock (_gate)
        {
            _snapshots.TryGetValue(id, out snapshot);
        }

        if (snapshot is null)
        {
            throw new KubeApiException(410, "Expired", "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.");
        }

        if (snapshot.ListKey != listKey || offset < 0 || offset > snapshot.ItemsJson.Count)
        {
            throw KubeApiException.BadRequest("continue key is not valid: the token was issued for a different list");
        }

        var page = Page(id, snapshot, offset, limit is > 0 ? limit.Value : int.MaxValue);
        if (page.Continue is null)
        {
            // A fully read list frees its snapshot; only abandoned lists wait for eviction.
            lock (_gate)
            {
                _snapshots.Remove(id);
            }
        }

        return page;
    }

    private static ListPage Page(string id, Snapshot snapshot, int offset, int limit)
    {
        var count = Math.Min(limit, snapshot.ItemsJson.Count - offset);
        var items = snapshot.ItemsJson.Skip(offset).Take(count).ToList();
        var nextOffset = offset + count;
        var remaining = snapshot.ItemsJson.Count - nextOffset;
        return remaining > 0
            ? new ListPage(items, snapshot.ResourceVersion, Encode(id, nextOffset), remaining)
            : new ListPage(items, snapshot.ResourceVersion, null, null);
    }

    private static string Encode(string id, int offset) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{id}:{offset.ToString(CultureInfo.InvariantCulture)}"));

    private static (string Id, int Offset) Decode(string token)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
            var parts = text.Split(':');
            if (parts.Length == 2 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
            {
                return (parts[0], offset);
            }
        }
        catch (FormatException)
        {
        }

        throw KubeApiException.BadRequest("continue key is not valid: it is not a token this server issued");
    }

    private sealed record Snapshot(IReadOnlyList<string> ItemsJson, string ResourceVersion, string ListKey);
}
