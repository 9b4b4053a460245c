namespace Rotation.Infra.Kubernetes.Simulator;

public sealed class SimulatedKubeClusterOptions
{
    /// <summary>The clock for object timestamps, certificate validity and controller delays.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Default lag between a change and the controllers acting on it.</summary>
    public TimeSpan PropagationDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Lag of pod recreation after a rollout restart; defaults to <see cref="PropagationDelay"/>.</summary>
    public TimeSpan? RolloutDelay { get; set; }

    public string? BearerToken { get; set; }

    /// <summary>Where the simulated istiod runs: upstream Istio (default) or the AKS add-on (Controllers.IstioLayout.AksAddOn).</summary>
    public Controllers.IstioLayout? IstioLayout { get; set; }
}
