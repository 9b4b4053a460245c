namespace Rotation.Infra.KeyVault.Simulator;

/// <summary>A fault the simulator answers with instead of (or before) serving a request.</summary>
/// <param name="Method">HTTP method to match, or null for any.</param>
/// <param name="PathContains">Substring of the path to match ("/create", "/sign"), or null for any.</param>
/// <param name="Status">Status to answer with (429, 503, 409), or null to serve normally after <paramref name="Delay"/>.</param>
/// <param name="RetryAfterSeconds">Retry-After header for 429/503.</param>
/// <param name="Delay">Held back this long before answering.</param>
/// <param name="BodyContains">Substring the request body must contain (e.g. "\"Self\"" for the self-signed create), or null.</param>
/// <param name="Abort">Drop the connection instead of answering, like a process or network dying mid-call.</param>
/// <param name="AfterServing">With <paramref name="Abort"/>: carry the request out first, then drop the answer (the caller never learns it succeeded).</param>
public sealed record KeyVaultFault(
    string? Method,
    string? PathContains,
    int? Status,
    int? RetryAfterSeconds = null,
    TimeSpan Delay = default,
    string? BodyContains = null,
    bool Abort = false,
    bool AfterServing = false)
{
    /// <summary>The connection drops during this call; with <paramref name="afterServing"/> the vault has done the work.</summary>
    public static KeyVaultFault Crash(string method, string path, string? bodyContains = null, bool afterServing = true) =>
        new(method, path, null, BodyContains: bodyContains, Abort: true, AfterServing: afterServing);

    public static KeyVaultFault Conflict(string method = "POST", string path = "/create") => new(method, path, 409);

    public static KeyVaultFault Throttle(string? method = null, string? path = null, int retryAfterSeconds = 1) => new(method, path, 429, retryAfterSeconds);

    public static KeyVaultFault Unavailable(string? method = null, string? path = null) => new(method, path, 503, 1);

    public static KeyVaultFault Slow(TimeSpan delay, string? method = null, string? path = null) => new(method, path, null, null, delay);

    internal bool Matches(string method, string path, string body) =>
        (Method is null || string.Equals(Method, method, StringComparison.OrdinalIgnoreCase))
        && (PathContains is null || path.Contains(PathContains, StringComparison.OrdinalIgnoreCase))
        && (BodyContains is null || body.Contains(BodyContains, StringComparison.Ordinal));
}

/// <summary>Faults queued in order; each matching request takes the first that matches, once.</summary>
public sealed class KeyVaultFaults
{
    private readonly Lock _gate = new();
    private readonly List<KeyVaultFault> _queue = [];

    public void Enqueue(KeyVaultFault fault, int times = 1)
    {
        lock (_gate)
        {
            for (var i = 0; i < times; i++)
            {
                _queue.Add(fault);
            }
        }
    }

    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    internal KeyVaultFault? Take(string method, string path, string body)
    {
        lock (_gate)
        {
            var index = _queue.FindIndex(f => f.Matches(method, path, body));
            if (index < 0)
            {
                return null;
            }

            var fault = _queue[index];
            _queue.RemoveAt(index);
            return fault;
        }
    }
}

/// <summary>One request and the answer it got, bodies included, so a test can inspect everything that left the vault.</summary>
public sealed record KeyVaultExchange(string Method, string Path, int Status, string RequestBody, string ResponseBody, bool Authorized);
