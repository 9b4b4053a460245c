namespace Rotation.Infra.Kubernetes.Simulator;

public sealed class SimulatedKubeApiServerOptions
{
    /// <summary>Clock for object timestamps; controllers take their own.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>When set, requests must carry "Authorization: Bearer {token}" or get 401.</summary>
    public string? BearerToken { get; set; }

    /// <summary>How many unfinished paginated lists to keep before their continue tokens expire (410).</summary>
    public int ListSnapshotCapacity { get; set; } = 64;
}
