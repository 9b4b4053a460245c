using Prometheus;

namespace Rotation.Infra.Prometheus;

/// <summary>
/// A labelled gauge whose whole set of series is replaced on every refresh. prometheus-net keeps a labelled child
/// until it is removed, so without this a CA that was retired, or a rotation that finished, would go on being
/// exported with its last value and keep an alert firing.
/// </summary>
internal sealed class SeriesSet
{
    private readonly Gauge _gauge;
    private HashSet<LabelValues> _published = [];

    public SeriesSet(MetricFactory factory, string name, string help, params string[] labelNames)
    {
        _gauge = factory.CreateGauge(name, help, new GaugeConfiguration { LabelNames = labelNames });
    }

    public void Replace(IEnumerable<(string[] Labels, double Value)> series)
    {
        var current = new HashSet<LabelValues>();
        foreach (var (labels, value) in series)
        {
            _gauge.WithLabels(labels).Set(value);
            current.Add(new LabelValues(labels));
        }

        foreach (var stale in _published.Where(p => !current.Contains(p)))
        {
            _gauge.RemoveLabelled(stale.Values);
        }

        _published = current;
    }

    /// <summary>Label values compared by content (a string[] compares by reference).</summary>
    private sealed record LabelValues(string[] Values)
    {
        public bool Equals(LabelValues? other) => other is not null && Values.SequenceEqual(other.Values, StringComparer.Ordinal);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            foreach (var value in Values)
            {
                hash.Add(value, StringComparer.Ordinal);
            }

            return hash.ToHashCode();
        }
    }
}
