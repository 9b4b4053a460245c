using Prometheus;
using Rotation.Core.Metrics;

namespace Rotation.Infra.Prometheus;

/// <summary>
/// Rotation's gauges in their own prometheus-net registry (no process or runtime metrics: they belong to whoever
/// runs the process, and a textfile collector must not carry them). <see cref="Update"/> replaces every series from
/// one <see cref="EstateMetrics"/>; the registry then renders the exposition format.
/// </summary>
public sealed class RotationMetrics
{
    private static readonly string[] CaLabels = ["domain", "layer", "ca", "cluster", "status"];

    private readonly SeriesSet _expiry;
    private readonly SeriesSet _lifetimeLeft;
    private readonly SeriesSet _state;
    private readonly SeriesSet _phase;
    private readonly SeriesSet _phaseSeconds;
    private readonly SeriesSet _gateHolding;
    private readonly SeriesSet _gateNextCheck;
    private readonly SeriesSet _outboxPending;
    private readonly SeriesSet _outboxOldest;

    public RotationMetrics()
    {
        Registry = global::Prometheus.Metrics.NewCustomRegistry();
        var factory = global::Prometheus.Metrics.WithCustomRegistry(Registry);
        _expiry = new SeriesSet(factory, RotationMetricNames.CaExpiryTimestamp, "When the CA certificate expires (notAfter), unix seconds.", CaLabels);
        _lifetimeLeft = new SeriesSet(factory, RotationMetricNames.CaLifetimeLeftRatio, "Fraction of the CA certificate's lifetime left, 0 to 1.", CaLabels);
        _state = new SeriesSet(factory, RotationMetricNames.CaExpiryState, "1 for the CA's expiry state under Rotation's policy (ok, warning, critical, expired), 0 for the others.", [.. CaLabels, "state"]);
        _phase = new SeriesSet(factory, RotationMetricNames.RotationPhase, "1 for the phase an active rotation is in.", "domain", "rotation", "kind", "phase");
        _phaseSeconds = new SeriesSet(factory, RotationMetricNames.RotationPhaseSeconds, "Seconds the active rotation has been in its current phase.", "domain", "rotation", "kind", "phase");
        _gateHolding = new SeriesSet(factory, RotationMetricNames.GateHoldingSeconds, "Seconds the current phase's gate has been holding, by reason (a bounded set).", "domain", "rotation", "phase", "reason");
        _gateNextCheck = new SeriesSet(factory, RotationMetricNames.GateNextCheckTimestamp, "When the engine will next check the holding gate, unix seconds; long past means nothing is driving the rotation.", "domain", "rotation", "phase");
        _outboxPending = new SeriesSet(factory, RotationMetricNames.OutboxPending, "Events in the outbox not yet delivered.");
        _outboxOldest = new SeriesSet(factory, RotationMetricNames.OutboxOldestPendingAge, "Age in seconds of the oldest undelivered event (0 when none).");
    }

    public CollectorRegistry Registry { get; }

    public void Update(EstateMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _expiry.Replace(metrics.Authorities.Select(a => (CaLabelValues(a), (double)a.NotAfter.ToUnixTimeSeconds())));
        _lifetimeLeft.Replace(metrics.Authorities.Select(a => (CaLabelValues(a), a.LifetimeLeftRatio)));
        _state.Replace(metrics.Authorities.SelectMany(a => MetricLabels.AllStates.Select(s =>
            ((string[])[.. CaLabelValues(a), s.ToLabel()], s == a.State ? 1.0 : 0.0))));

        _phase.Replace(metrics.Rotations.Select(r => (RotationLabelValues(r), 1.0)));
        _phaseSeconds.Replace(metrics.Rotations.Select(r => (RotationLabelValues(r), Math.Floor(r.InPhase.TotalSeconds))));
        _gateHolding.Replace(metrics.Rotations.Where(r => r.Gate is not null).Select(r =>
            ((string[])[r.Domain, r.RotationId, PhaseLabel(r), r.Gate!.Reason.ToLabel()], Math.Floor(r.Gate.Holding.TotalSeconds))));

        _gateNextCheck.Replace(metrics.Rotations.Where(r => r.Gate?.NextCheckAt is not null).Select(r =>
            ((string[])[r.Domain, r.RotationId, PhaseLabel(r)], (double)r.Gate!.NextCheckAt!.Value.ToUnixTimeSeconds())));

        _outboxPending.Replace([([], metrics.Outbox.Pending)]);
        _outboxOldest.Replace([([], Math.Floor(metrics.Outbox.OldestPendingAge.TotalSeconds))]);
    }

    /// <summary>The exposition text (version 0.0.4), as node_exporter's textfile collector and Prometheus read it.</summary>
    public async Task WriteTextAsync(Stream destination, CancellationToken cancellationToken = default) =>
        await Registry.CollectAndExportAsTextAsync(destination, cancellationToken);

    private static string[] CaLabelValues(CaExpirySample a) => [a.Domain, a.Layer.ToLabel(), a.Ca, a.Cluster, a.Status];

    private static string[] RotationLabelValues(RotationSample r) => [r.Domain, r.RotationId, r.Kind.ToString().ToLowerInvariant(), PhaseLabel(r)];

    private static string PhaseLabel(RotationSample r) => r.Phase.ToString();
}
