using Rotation.Drill.Workloads;

namespace Rotation.Drill.Traffic;

/// <summary>
/// Chooses each round's handshakes. A small estate gets every ordered workload pair every round. A large one gets a
/// bounded sample: the next slice of a shuffled cycle over ordered cluster pairs, with a random client and server
/// workload in each, so every cluster pair is covered every few rounds.
/// </summary>
public sealed class PairSampler
{
    private readonly IReadOnlyList<WorkloadPair> _allPairs = [];
    private readonly IReadOnlyList<(IReadOnlyList<SimulatedWorkload> Clients, IReadOnlyList<SimulatedWorkload> Servers)> _clusterPairs = [];
    private readonly int _roundSize;
    private readonly Random _random;
    private readonly Lock _lock = new();
    private int _cursor;

    public PairSampler(IReadOnlyList<SimulatedWorkload> workloads, int maxPairsPerRound, Random random)
    {
        _random = random;
        var workloadPairs = (long)workloads.Count * (workloads.Count - 1);
        if (workloadPairs <= maxPairsPerRound)
        {
            _allPairs = workloads.SelectMany(c => workloads.Where(s => !ReferenceEquals(c, s)).Select(s => new WorkloadPair(c, s))).ToList();
            _roundSize = _allPairs.Count;
            Description = $"all {_allPairs.Count} ordered workload pairs every round";
            return;
        }

        var clusters = workloads.GroupBy(w => w.Cluster).Select(g => (IReadOnlyList<SimulatedWorkload>)g.ToList()).ToList();
        var clusterPairs = clusters
            .SelectMany(c => clusters.Select(s => (Clients: c, Servers: s)))
            // A cluster with a single workload cannot talk to itself.
            .Where(p => !ReferenceEquals(p.Clients, p.Servers) || p.Clients.Count > 1)
            .ToList();
        Shuffle(clusterPairs);
        _clusterPairs = clusterPairs;
        _roundSize = maxPairsPerRound;
        var roundsPerCycle = (clusterPairs.Count + maxPairsPerRound - 1) / maxPairsPerRound;
        IsSampled = true;
        Description = $"sampled: each round handshakes {maxPairsPerRound} of {workloadPairs} ordered workload pairs, taking the next "
            + $"{maxPairsPerRound} of {clusterPairs.Count} ordered cluster pairs (same cluster included) from a shuffled cycle with a random "
            + $"client and server workload in each, so every cluster pair is covered at least once every {roundsPerCycle} round(s)";
    }

    public bool IsSampled { get; }

    /// <summary>One sentence on how pairs are chosen, for the report.</summary>
    public string Description { get; }

    public int RoundSize => _roundSize;

    public IReadOnlyList<WorkloadPair> NextRound()
    {
        if (!IsSampled)
            return _allPairs;

        lock (_lock)
        {
            var round = new List<WorkloadPair>(_roundSize);
            for (var i = 0; i < _roundSize; i++)
            {
                var (clients, servers) = _clusterPairs[_cursor];
                _cursor = (_cursor + 1) % _clusterPairs.Count;
                var client = clients[_random.Next(clients.Count)];
                SimulatedWorkload server;
                do
                {
                    server = servers[_random.Next(servers.Count)];
                }
                while (ReferenceEquals(server, client));
                round.Add(new WorkloadPair(client, server));
            }

            return round;
        }
    }

    private void Shuffle<T>(List<T> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = _random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
