using System.Diagnostics.Metrics;
using Rotation.Core.Metrics;

namespace Rotation.Infra.OpenTelemetry;

/// <summary>
/// Rotation's gauges (<see cref="MetricSeries"/>: the names, labels and values the Prometheus pack alerts on) as
/// observable gauges of one <see cref="Meter"/>. A collection reads the last snapshot given to <see cref="Update"/>,
/// because an observable callback is synchronous and must not read the store; a series that left the snapshot
/// (a retired CA, a finished rotation) is simply no longer observed.
/// </summary>
public sealed class RotationMeter : IDisposable
{
    public const string MeterName = "Rotation";

    private readonly Meter _meter;
    private volatile IReadOnlyDictionary<MetricDefinition, IReadOnlyList<MetricSample>> _current =
        new Dictionary<MetricDefinition, IReadOnlyList<MetricSample>>();

    public RotationMeter()
    {
        _meter = new Meter(MeterName, typeof(RotationMeter).Assembly.GetName().Version?.ToString());
        foreach (var definition in MetricSeries.All)
        {
            _meter.CreateObservableGauge(definition.Name, () => Observe(definition), unit: null, description: definition.Help);
        }
    }

    /// <summary>When the snapshot being observed was read (null before the first).</summary>
    public DateTimeOffset? SnapshotAt { get; private set; }

    public void Update(EstateMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _current = MetricSeries.Of(metrics);
        SnapshotAt = metrics.At;
    }

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<double>> Observe(MetricDefinition definition)
    {
        if (!_current.TryGetValue(definition, out var samples))
        {
            yield break;
        }

        foreach (var sample in samples)
        {
            var tags = new KeyValuePair<string, object?>[definition.LabelNames.Count];
            for (var i = 0; i < tags.Length; i++)
            {
                tags[i] = new(definition.LabelNames[i], sample.LabelValues[i]);
            }

            yield return new Measurement<double>(sample.Value, tags);
        }
    }
}
