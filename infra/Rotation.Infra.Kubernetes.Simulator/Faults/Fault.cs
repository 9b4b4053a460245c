namespace Rotation.Infra.Kubernetes.Simulator.Faults;

/// <summary>
/// What the server does instead of (or before) serving a matching request: answer with an error status,
/// answer slowly, or drop the connection.
/// </summary>
public sealed record Fault
{
    /// <summary>The error status to answer with; null to serve the request normally (after <see cref="Delay"/>).</summary>
    public int? StatusCode { get; init; }

    public string Reason { get; init; } = "";

    public string Message { get; init; } = "";

    /// <summary>Seconds for a Retry-After header, as the API server sends with 429 and some 503s.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>Real (wall-clock) time to wait before answering; transport time is not domain time.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Abort the connection without an answer (the client sees an HttpRequestException).</summary>
    public bool DropConnection { get; init; }

    public static Fault Status(int statusCode, string reason, string message) =>
        new() { StatusCode = statusCode, Reason = reason, Message = message };

    public static Fault Conflict(string message = "Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again") =>
        Status(409, "Conflict", message);

    public static Fault TooManyRequests(int retryAfterSeconds) =>
        Status(429, "TooManyRequests", "Too many requests, please try again later.") with { RetryAfterSeconds = retryAfterSeconds };

    public static Fault InternalError(string message = "Internal error occurred: injected by the simulator") =>
        Status(500, "InternalError", message);

    public static Fault ServiceUnavailable(int? retryAfterSeconds = null) =>
        Status(503, "ServiceUnavailable", "the server is currently unable to handle the request") with { RetryAfterSeconds = retryAfterSeconds };

    /// <summary>Serves the request normally, after <paramref name="delay"/>.</summary>
    public static Fault Slow(TimeSpan delay) => new() { Delay = delay };

    public static Fault Abort() => new() { DropConnection = true };

    public override string ToString() =>
        DropConnection ? "drop connection"
        : StatusCode is { } code ? $"{code} {Reason}" + (Delay > TimeSpan.Zero ? $" after {Delay.TotalMilliseconds:0} ms" : "")
        : $"slow {Delay.TotalMilliseconds:0} ms";
}
