using Prometheus;
using Rotation.Core.Metrics;

namespace Rotation.Infra.Prometheus;

/// <summary>
/// Rotation's gauges (<see cref="MetricSeries"/>) in their own prometheus-net registry (no process or runtime metrics:
/// they belong to whoever runs the process, and a textfile collector must not carry them). <see cref="Update"/>
/// replaces every series from one <see cref="EstateMetrics"/>; the registry then renders the exposition format.
/// </summary>
public sealed class RotationMetrics
{
    private readonly Dictionary<MetricDefinition, SeriesSet> _gauges;

    public RotationMetrics()
    {
        Registry = global::Prometheus.Metrics.NewCustomRegistry();
        var factory = global::Prometheus.Metrics.WithCustomRegistry(Registry);
        _gauges = MetricSeries.All.ToDictionary(d => d, d => new SeriesSet(factory, d.Name, d.Help, [.. d.LabelNames]));
    }

    public CollectorRegistry Registry { get; }

    public void Update(EstateMetrics metrics)
    {
        foreach (var (definition, samples) in MetricSeries.Of(metrics))
        {
            _gauges[definition].Replace(samples.Select(s => (s.LabelValues.ToArray(), s.Value)));
        }
    }

    /// <summary>The exposition text (version 0.0.4), as node_exporter's textfile collector and Prometheus read it.</summary>
    public async Task WriteTextAsync(Stream destination, CancellationToken cancellationToken = default) =>
        await Registry.CollectAndExportAsTextAsync(destination, cancellationToken);
}
