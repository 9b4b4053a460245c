using Rotation.Drill.Workloads;

namespace Rotation.Drill.Traffic;

/// <summary>Handshake results counted per phase, with failure reasons and a few examples of failures.</summary>
public sealed class HandshakeTally
{
    private const int MaxExamples = 20;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, PhaseCount> _phases = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly List<HandshakeResult> _examples = [];

    public void Record(string phase, HandshakeResult result)
    {
        lock (_lock)
        {
            var count = Phase(phase);
            count.Handshakes++;
            if (result.ViaOpenSsl)
                count.OpenSslHandshakes++;
            if (result.Succeeded)
                return;
            count.Failures++;
            var reason = (result.Reason ?? HandshakeFailureReason.Other).ToString();
            count.Reasons[reason] = count.Reasons.GetValueOrDefault(reason) + 1;
            if (_examples.Count < MaxExamples)
                _examples.Add(result);
        }
    }

    /// <summary>Makes a phase appear in the report even when no handshake started in it.</summary>
    public void Touch(string phase)
    {
        lock (_lock)
            Phase(phase);
    }

    /// <summary>Phases in the order they were first seen.</summary>
    public IReadOnlyList<PhaseCountSnapshot> Snapshot()
    {
        lock (_lock)
        {
            return _order
                .Select(name => _phases[name])
                .Select(p => new PhaseCountSnapshot(p.Name, p.Handshakes, p.Failures, p.OpenSslHandshakes, new Dictionary<string, long>(p.Reasons)))
                .ToList();
        }
    }

    public IReadOnlyList<HandshakeResult> FailureExamples()
    {
        lock (_lock)
            return _examples.ToList();
    }

    private PhaseCount Phase(string name)
    {
        if (!_phases.TryGetValue(name, out var count))
        {
            count = new PhaseCount(name);
            _phases[name] = count;
            _order.Add(name);
        }

        return count;
    }

    private sealed class PhaseCount(string name)
    {
        public string Name { get; } = name;
        public long Handshakes { get; set; }
        public long Failures { get; set; }
        public long OpenSslHandshakes { get; set; }
        public Dictionary<string, long> Reasons { get; } = new(StringComparer.Ordinal);
    }
}

public sealed record PhaseCountSnapshot(string Name, long Handshakes, long Failures, long OpenSslHandshakes, IReadOnlyDictionary<string, long> FailureReasons);
