using Rotation.Drill.Drills;
using Rotation.Infra.Kubernetes;

namespace Rotation.Drill.Kubernetes;

/// <summary>A Kubernetes drill set up and ready to rotate: the simulated clusters, the workloads on them, and the resolver the engine uses.</summary>
public sealed class KubernetesDrillRun : IAsyncDisposable
{
    private readonly Func<CancellationToken, Task<DrillResult>> _rotate;

    internal KubernetesDrillRun(SimulatedIstioFleet fleet, KubernetesBackedEstate estate, KubernetesTargetResolver resolver, Func<CancellationToken, Task<DrillResult>> rotate)
    {
        Fleet = fleet;
        Estate = estate;
        Resolver = resolver;
        _rotate = rotate;
    }

    public SimulatedIstioFleet Fleet { get; }
    public KubernetesBackedEstate Estate { get; }
    public KubernetesTargetResolver Resolver { get; }

    /// <summary>Rotates with the real engine through <see cref="Resolver"/> while traffic flows.</summary>
    public Task<DrillResult> RotateAsync(CancellationToken cancellationToken = default) => _rotate(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        Resolver.Dispose();
        await Estate.DisposeAsync();
        await Fleet.DisposeAsync();
    }
}
