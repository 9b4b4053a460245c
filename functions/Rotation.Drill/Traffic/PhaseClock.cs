namespace Rotation.Drill.Traffic;

/// <summary>How long each phase was current, from the moments the drill saw the phase change.</summary>
public sealed class PhaseClock
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, TimeSpan> _durations = new(StringComparer.Ordinal);
    private string? _current;
    private DateTimeOffset _since;

    /// <summary>Notes that <paramref name="phase"/> is current at <paramref name="at"/>; true when that is a change.</summary>
    public bool Observe(string phase, DateTimeOffset at)
    {
        lock (_lock)
        {
            if (_current == phase)
                return false;
            CloseCurrent(at);
            _current = phase;
            _since = at;
            _durations.TryAdd(phase, TimeSpan.Zero);
            return true;
        }
    }

    /// <summary>Ends the current phase at <paramref name="at"/>.</summary>
    public void Stop(DateTimeOffset at)
    {
        lock (_lock)
        {
            CloseCurrent(at);
            _current = null;
        }
    }

    public TimeSpan DurationOf(string phase)
    {
        lock (_lock)
            return _durations.GetValueOrDefault(phase);
    }

    private void CloseCurrent(DateTimeOffset at)
    {
        if (_current is not null && at > _since)
            _durations[_current] += at - _since;
    }
}
