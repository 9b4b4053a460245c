namespace Rotation.Drill.Estate;

/// <summary>
/// The time the estate's physics keeps a rotation waiting: from each change (a bundle push, an issuer switch) until
/// every workload has caught up with it. Overlapping waits count once (the union of the intervals), so the total
/// is what no rotation engine could avoid sitting out.
/// </summary>
public sealed class MandatoryWaitTracker
{
    private readonly Lock _lock = new();
    private readonly List<Interval> _intervals = [];

    /// <summary>Starts a wait; close it with <see cref="Close"/> when the estate has settled.</summary>
    public object Open(DateTimeOffset at)
    {
        var interval = new Interval(at);
        lock (_lock)
            _intervals.Add(interval);
        return interval;
    }

    public void Close(object handle, DateTimeOffset at)
    {
        lock (_lock)
            ((Interval)handle).End ??= at;
    }

    /// <summary>The union of all waits clipped to [from, to]; waits still open count until <paramref name="to"/>.</summary>
    public TimeSpan Total(DateTimeOffset from, DateTimeOffset to)
    {
        List<(DateTimeOffset Start, DateTimeOffset End)> clipped;
        lock (_lock)
        {
            clipped = _intervals
                .Select(i => (Start: Max(i.Start, from), End: Min(i.End ?? to, to)))
                .Where(i => i.End > i.Start)
                .OrderBy(i => i.Start)
                .ToList();
        }

        var total = TimeSpan.Zero;
        DateTimeOffset? currentStart = null;
        var currentEnd = DateTimeOffset.MinValue;
        foreach (var (start, end) in clipped)
        {
            if (currentStart is null || start > currentEnd)
            {
                if (currentStart is not null)
                    total += currentEnd - currentStart.Value;
                currentStart = start;
                currentEnd = end;
            }
            else if (end > currentEnd)
            {
                currentEnd = end;
            }
        }

        if (currentStart is not null)
            total += currentEnd - currentStart.Value;
        return total;
    }

    /// <summary>
    /// The latest moment in [<paramref name="from"/>, <paramref name="to"/>] at which a wait closed, i.e. when the
    /// estate last finished catching up with a change; null when none closed in that span. Waits still open are left out.
    /// </summary>
    public DateTimeOffset? LastSettledBetween(DateTimeOffset from, DateTimeOffset to)
    {
        lock (_lock)
        {
            DateTimeOffset? latest = null;
            foreach (var interval in _intervals)
            {
                if (interval.End is { } end && end >= from && end <= to && (latest is null || end > latest))
                    latest = end;
            }

            return latest;
        }
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private sealed class Interval(DateTimeOffset start)
    {
        public DateTimeOffset Start { get; } = start;
        public DateTimeOffset? End { get; set; }
    }
}
