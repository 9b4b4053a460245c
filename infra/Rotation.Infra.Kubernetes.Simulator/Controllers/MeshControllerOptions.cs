namespace Rotation.Infra.Kubernetes.Simulator.Controllers;

public sealed class MeshControllerOptions
{
    /// <summary>How long after a relevant change the controller acts, like a real controller's watch-and-sync lag.</summary>
    public TimeSpan PropagationDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The clock the delay runs on; a FakeTimeProvider makes propagation step-controlled.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
