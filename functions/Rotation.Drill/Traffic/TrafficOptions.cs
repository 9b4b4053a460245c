namespace Rotation.Drill.Traffic;

/// <summary>How much traffic the drill drives. The defaults suit a 2-core machine.</summary>
public sealed class TrafficOptions
{
    /// <summary>Above this many ordered workload pairs, rounds are sampled instead of all-pairs.</summary>
    public int MaxPairsPerRound { get; init; } = 200;

    /// <summary>
    /// Handshakes in flight at once. Both ends of every handshake run in this process, so more than one per core
    /// only steals CPU from the estate's own clock (leaf re-issue, bundle pushes) and the engine.
    /// </summary>
    public int Concurrency { get; init; } = Math.Clamp(Environment.ProcessorCount, 1, 8);

    /// <summary>A round starts no new handshake after this long.</summary>
    public TimeSpan RoundTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Runs openssl peers at every phase change and at most this often within a phase; null turns them off.</summary>
    public TimeSpan? OpenSslInterval { get; init; } = TimeSpan.FromSeconds(2);

    public string OpenSslExecutable { get; init; } = "openssl";

    /// <summary>Seed for pair sampling, to replay a drill's choices; null picks one.</summary>
    public int? Seed { get; init; }
}
