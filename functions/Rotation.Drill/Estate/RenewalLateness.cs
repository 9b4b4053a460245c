namespace Rotation.Drill.Estate;

/// <summary>
/// How late the simulated workloads renewed their leaves, against the moment their renewal clock chose. A renewal that
/// came after the old leaf had expired means the machine starved the simulation: handshakes failing then are the
/// machine's doing, not the engine's, and the drill is reported invalid (issue 10 §3) instead of failed.
/// </summary>
public sealed class RenewalLateness
{
    private readonly Lock _lock = new();
    private long _renewals;
    private long _afterExpiry;
    private TimeSpan _worst;
    private string? _worstWorkload;

    /// <summary>Records one renewal that was due at <paramref name="due"/>, done at <paramref name="done"/>, for a leaf valid until <paramref name="oldLeafExpiry"/>.</summary>
    public void Record(string workload, DateTimeOffset due, DateTimeOffset done, DateTimeOffset oldLeafExpiry)
    {
        var late = done - due;
        lock (_lock)
        {
            _renewals++;
            if (done > oldLeafExpiry)
                _afterExpiry++;
            if (late > _worst)
            {
                _worst = late;
                _worstWorkload = workload;
            }
        }
    }

    public RenewalLatenessReport Snapshot()
    {
        lock (_lock)
            return new RenewalLatenessReport(_renewals, _afterExpiry, (long)_worst.TotalMilliseconds, _worstWorkload);
    }
}

/// <param name="Renewals">Leaf renewals the workloads made during the drill.</param>
/// <param name="AfterExpiry">Renewals done only after the leaf they replaced had expired (the machine was starved).</param>
/// <param name="WorstLateMs">The latest renewal, against the time its clock chose.</param>
/// <param name="WorstWorkload">The workload that renewed latest.</param>
public sealed record RenewalLatenessReport(long Renewals, long AfterExpiry, long WorstLateMs, string? WorstWorkload);
