namespace Rotation.Infra.Kubernetes.Simulator.Api;

/// <summary>One request as the server saw it, with how it was answered (0 when the connection was dropped).</summary>
public sealed record RecordedRequest(ApiRequestInfo Request, int StatusCode, string? Fault, DateTimeOffset At)
{
    public override string ToString() => $"{Request.Verb} {Request} -> {StatusCode}" + (Fault is null ? "" : $" (fault: {Fault})");
}

/// <summary>Every request the server received, for asserting API economy and the absence of duplicate writes.</summary>
public sealed class RequestLog
{
    private readonly object _gate = new();
    private readonly List<RecordedRequest> _entries = [];

    public IReadOnlyList<RecordedRequest> Entries
    {
        get
        {
            lock (_gate)
            {
                return _entries.ToList();
            }
        }
    }

    /// <summary>Requests with this API verb (get, list, create, update, patch, delete...) on this resource plural.</summary>
    public int Count(string verb, string resource) => Count(r => r.Request.Verb == verb && r.Request.Resource == resource);

    public int Count(Func<RecordedRequest, bool> predicate)
    {
        lock (_gate)
        {
            return _entries.Count(predicate);
        }
    }

    /// <summary>Counts per (verb, resource), e.g. ("list", "configmaps") → 3.</summary>
    public IReadOnlyDictionary<(string Verb, string Resource), int> CountsByVerbAndResource()
    {
        lock (_gate)
        {
            return _entries.GroupBy(e => (e.Request.Verb, e.Request.Resource)).ToDictionary(g => g.Key, g => g.Count());
        }
    }

    /// <summary>Successful writes, in order: create, update, patch, delete.</summary>
    public IReadOnlyList<RecordedRequest> Writes() =>
        Entries.Where(e => e.Request.IsWrite && e.StatusCode is >= 200 and < 300).ToList();

    public void Clear()
    {
        lock (_gate)
        {
            _entries.Clear();
        }
    }

    internal void Add(RecordedRequest entry)
    {
        lock (_gate)
        {
            _entries.Add(entry);
        }
    }
}
