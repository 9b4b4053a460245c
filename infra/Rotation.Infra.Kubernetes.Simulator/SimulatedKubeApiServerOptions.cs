namespace Rotation.Infra.Kubernetes.Simulator;

public sealed class SimulatedKubeApiServerOptions
{
    /// <summary>Clock for object timestamps; controllers take their own.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>When set, requests must carry "Authorization: Bearer {token}" or get 401.</summary>
    public string? BearerToken { get; set; }

    /// <summary>How many unfinished paginated lists to keep before their continue tokens expire (410).</summary>
    public int ListSnapshotCapacity { get; set; } = 64;

    /// <summary>
    /// Like API priority and fairness: requests beyond this many in flight get 429 with Retry-After: 1.
    /// Null serves everything.
    /// </summary>
    public int? MaxRequestsInFlight { get; set; }

    /// <summary>How many recent changes watches can resume from; older resource versions get 410 Expired.</summary>
    public int WatchHistoryCapacity { get; set; } = 1000;

    /// <summary>How often a watch with allowWatchBookmarks=true gets a BOOKMARK carrying the current resource version.</summary>
    public TimeSpan BookmarkInterval { get; set; } = TimeSpan.FromSeconds(1);
}
