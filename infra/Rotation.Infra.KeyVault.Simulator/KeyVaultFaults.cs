namespace Rotation.Infra.KeyVault.Simulator;

/// <summary>A fault the simulator answers with instead of (or before) serving a request.</summary>
/// <param name="Method">HTTP method to match, or null for any.</param>
/// <param name="PathContains">Substring of the path to match ("/create", "/sign"), or null for any.</param>
/// <param name="Status">Status to answer with (429, 503, 409), or null to serve normally after <paramref name="Delay"/>.</param>
/// <param name="RetryAfterSeconds">Retry-After header for 429/503.</param>
/// <param name="Delay">Held back this long before answering.</param>
public sealed record KeyVaultFault(string? Method, string? PathContains, int? Status, int? RetryAfterSeconds = null, TimeSpan Delay = default)
{
    public static KeyVaultFault Throttle(string? method = null, string? path = null, int retryAfterSeconds = 1) => new(method, path, 429, retryAfterSeconds);

    public static KeyVaultFault Unavailable(string? method = null, string? path = null) => new(method, path, 503, 1);

    public static KeyVaultFault Slow(TimeSpan delay, string? method = null, string? path = null) => new(method, path, null, null, delay);

    internal bool Matches(string method, string path) =>
        (Method is null || string.Equals(Method, method, StringComparison.OrdinalIgnoreCase))
        && (PathContains is null || path.Contains(PathContains, StringComparison.OrdinalIgnoreCase));
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

    internal KeyVaultFault? Take(string method, string path)
    {
        lock (_gate)
        {
            var index = _queue.FindIndex(f => f.Matches(method, path));
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
