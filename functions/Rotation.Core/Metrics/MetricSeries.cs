namespace Rotation.Core.Metrics;

/// <summary>A gauge Rotation exports: its name, help text and label names, the same in every exporter.</summary>
public sealed record MetricDefinition(string Name, string Help, IReadOnlyList<string> LabelNames);

/// <summary>One series of a gauge at one instant: label values in <see cref="MetricDefinition.LabelNames"/> order.</summary>
public sealed record MetricSample(IReadOnlyList<string> LabelValues, double Value);

/// <summary>
/// The series of every gauge for one <see cref="EstateMetrics"/>. The Prometheus exposition and the OpenTelemetry
/// meter are both mappings of this, so a dashboard or alert written against one exporter reads the same series from
/// the other.
/// </summary>
public static class MetricSeries
{
    private static readonly string[] CaLabels = ["domain", "layer", "ca", "cluster", "status"];
    private static readonly string[] RotationLabels = ["domain", "rotation", "kind", "phase"];

    public static MetricDefinition CaExpiryTimestamp { get; } = new(RotationMetricNames.CaExpiryTimestamp, "When the CA certificate expires (notAfter), unix seconds.", CaLabels);
    public static MetricDefinition CaLifetimeLeftRatio { get; } = new(RotationMetricNames.CaLifetimeLeftRatio, "Fraction of the CA certificate's lifetime left, 0 to 1.", CaLabels);
    public static MetricDefinition CaExpiryState { get; } = new(RotationMetricNames.CaExpiryState, "1 for the CA's expiry state under Rotation's policy (ok, warning, critical, expired), 0 for the others.", [.. CaLabels, "state"]);
    public static MetricDefinition RotationPhase { get; } = new(RotationMetricNames.RotationPhase, "1 for the phase an active rotation is in.", RotationLabels);
    public static MetricDefinition RotationPhaseSeconds { get; } = new(RotationMetricNames.RotationPhaseSeconds, "Seconds the active rotation has been in its current phase.", RotationLabels);
    public static MetricDefinition GateHoldingSeconds { get; } = new(RotationMetricNames.GateHoldingSeconds, "Seconds the current phase's gate has been holding, by reason (a bounded set).", ["domain", "rotation", "phase", "reason"]);
    public static MetricDefinition GateNextCheckTimestamp { get; } = new(RotationMetricNames.GateNextCheckTimestamp, "When the engine will next check the holding gate, unix seconds; long past means nothing is driving the rotation.", ["domain", "rotation", "phase"]);
    public static MetricDefinition OutboxPending { get; } = new(RotationMetricNames.OutboxPending, "Events in the outbox not yet delivered.", []);
    public static MetricDefinition OutboxOldestPendingAge { get; } = new(RotationMetricNames.OutboxOldestPendingAge, "Age in seconds of the oldest undelivered event (0 when none).", []);

    public static IReadOnlyList<MetricDefinition> All { get; } =
    [
        CaExpiryTimestamp, CaLifetimeLeftRatio, CaExpiryState, RotationPhase, RotationPhaseSeconds,
        GateHoldingSeconds, GateNextCheckTimestamp, OutboxPending, OutboxOldestPendingAge,
    ];

    /// <summary>Every gauge of <see cref="All"/> with its series for <paramref name="metrics"/> (a gauge with no series has an empty list).</summary>
    public static IReadOnlyDictionary<MetricDefinition, IReadOnlyList<MetricSample>> Of(EstateMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var authorities = metrics.Authorities;
        var rotations = metrics.Rotations;
        return new Dictionary<MetricDefinition, IReadOnlyList<MetricSample>>
        {
            [CaExpiryTimestamp] = [.. authorities.Select(a => new MetricSample(CaLabelValues(a), a.NotAfter.ToUnixTimeSeconds()))],
            [CaLifetimeLeftRatio] = [.. authorities.Select(a => new MetricSample(CaLabelValues(a), a.LifetimeLeftRatio))],
            [CaExpiryState] = [.. authorities.SelectMany(a => MetricLabels.AllStates.Select(s =>
                new MetricSample([.. CaLabelValues(a), s.ToLabel()], s == a.State ? 1.0 : 0.0)))],
            [RotationPhase] = [.. rotations.Select(r => new MetricSample(RotationLabelValues(r), 1.0))],
            [RotationPhaseSeconds] = [.. rotations.Select(r => new MetricSample(RotationLabelValues(r), Math.Floor(r.InPhase.TotalSeconds)))],
            [GateHoldingSeconds] = [.. rotations.Where(r => r.Gate is not null).Select(r =>
                new MetricSample([r.Domain, r.RotationId, PhaseLabel(r), r.Gate!.Reason.ToLabel()], Math.Floor(r.Gate.Holding.TotalSeconds)))],
            [GateNextCheckTimestamp] = [.. rotations.Where(r => r.Gate?.NextCheckAt is not null).Select(r =>
                new MetricSample([r.Domain, r.RotationId, PhaseLabel(r)], r.Gate!.NextCheckAt!.Value.ToUnixTimeSeconds()))],
            [OutboxPending] = [new MetricSample([], metrics.Outbox.Pending)],
            [OutboxOldestPendingAge] = [new MetricSample([], Math.Floor(metrics.Outbox.OldestPendingAge.TotalSeconds))],
        };
    }

    private static string[] CaLabelValues(CaExpirySample a) => [a.Domain, a.Layer.ToLabel(), a.Ca, a.Cluster, a.Status];

    private static string[] RotationLabelValues(RotationSample r) => [r.Domain, r.RotationId, r.Kind.ToString().ToLowerInvariant(), PhaseLabel(r)];

    private static string PhaseLabel(RotationSample r) => r.Phase.ToString();
}
