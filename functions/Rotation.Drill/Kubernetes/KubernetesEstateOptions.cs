using Rotation.Core.Domain;

namespace Rotation.Drill.Kubernetes;

/// <summary>How the Kubernetes-backed estate's workloads follow their clusters.</summary>
public sealed class KubernetesEstateOptions
{
    /// <summary>How often a workload re-reads its namespace's root ConfigMap and istiod's loaded CA (a sidecar's file watch).</summary>
    public TimeSpan SyncInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How long a starting cluster's istiod may go without publishing one more namespace's root (or loading its first CA) before the estate gives up.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(15);

    public void Validate()
    {
        if (SyncInterval <= TimeSpan.Zero || StartTimeout <= TimeSpan.Zero)
            throw new DomainException($"sync interval and start timeout must be positive (got {SyncInterval} and {StartTimeout})");
    }
}
