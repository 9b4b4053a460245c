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

    /// <summary>
    /// Default for Linkerd's mountSyncWait option: how long after writing the trust roots ConfigMap Rotation waits
    /// before restarting linkerd-identity, which reads the anchors from its mounted copy of that ConfigMap once at start
    /// (linkerd/linkerd2 b24cd405 controller/cmd/identity/main.go). The kubelet refreshes mounted ConfigMaps on each
    /// pod's periodic sync (kubernetes/website content/en/docs/concepts/configuration/configmap.md: up to the sync
    /// period plus the cache's propagation delay); the kubelet's default syncFrequency is 1 minute and each pod's
    /// resync is jittered by up to half of it (pkg/kubelet/pod_workers.go wait.Jitter(resyncInterval,
    /// workerResyncIntervalJitterFactor = 0.5)), so up to 90 s, plus the watch's propagation: 2 minutes by default.
    /// The kubelet exposes no evidence of the refresh, so this is a time rule; set it to the cluster's syncFrequency ×
    /// 1.5 plus margin (longer with configMapAndSecretChangeDetectionStrategy=Cache: add its TTL).
    /// </summary>
    public TimeSpan MountedConfigMapSyncWait { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The longest one watch of the gates' objects lasts (timeoutSeconds) before it is re-established and re-listed,
    /// which also re-checks any gate holding on the cluster: the bound on how late a lost watch event is noticed.
    /// </summary>
    public TimeSpan WatchFallback { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>False turns the watches off: gates then re-check on the engine's backoff alone.</summary>
    public bool WatchForChanges { get; init; } = true;
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
