namespace Rotation.Infra.Kubernetes;

/// <summary>How the Kubernetes adapter talks to API servers. Defaults suit a production control plane.</summary>
public sealed class KubernetesAdapterOptions
{
    public KubernetesRetryOptions Retry { get; init; } = new();

    /// <summary>Items per LIST page; the gate reads each kind with one paginated LIST per cluster.</summary>
    public int PageSize { get; init; } = 500;

    /// <summary>Re-reads after a 409 (someone else wrote the object first) before a write gives up.</summary>
    public int MaxConflictRetries { get; init; } = 5;

    /// <summary>Clusters a rotation step works on at once.</summary>
    public int MaxClusterConcurrency { get; init; } = 4;

    /// <summary>Default for Linkerd's restartConcurrency option: Deployments restarted at once.</summary>
    public int RestartConcurrency { get; init; } = 2;

    /// <summary>How long a restarted Deployment may take to roll out before the next one starts anyway.</summary>
    public TimeSpan RolloutTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan RolloutPollInterval { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>Retries of 429, 5xx, timeouts and dropped connections with capped exponential backoff.</summary>
public sealed class KubernetesRetryOptions
{
    /// <summary>Attempts per request, the first included.</summary>
    public int MaxAttempts { get; init; } = 6;

    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>One attempt that takes longer than this is cancelled and retried.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A Retry-After longer than this is capped to it, so a confused server cannot park a rotation for hours.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(60);
}
