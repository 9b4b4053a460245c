using Rotation.Drill.Traffic;
using Rotation.Drill.Workloads;

namespace Rotation.Drill.Tests;

public sealed class PairSamplerTests
{
    [Fact]
    public void A_small_estate_gets_every_ordered_pair_every_round()
    {
        var workloads = Estate(clusters: 3, perCluster: 2);

        var sampler = new PairSampler(workloads, maxPairsPerRound: 200, new Random(1));
        var round = sampler.NextRound();

        Assert.False(sampler.IsSampled);
        Assert.Equal(30, round.Count);
        Assert.Equal(30, round.Select(p => (p.Client.Location, p.Server.Location)).Distinct().Count());
        Assert.DoesNotContain(round, p => ReferenceEquals(p.Client, p.Server));
    }

    [Fact]
    public void A_large_estate_is_sampled_in_bounded_rounds_that_cover_every_cluster_pair_within_a_cycle()
    {
        var workloads = Estate(clusters: 20, perCluster: 10);

        var sampler = new PairSampler(workloads, maxPairsPerRound: 150, new Random(7));
        var first = sampler.NextRound();
        var second = sampler.NextRound();
        var third = sampler.NextRound();

        Assert.True(sampler.IsSampled);
        Assert.All(new[] { first, second, third }, r => Assert.Equal(150, r.Count));
        var covered = first.Concat(second).Concat(third).Select(p => (p.Client.Cluster, p.Server.Cluster)).ToHashSet();
        Assert.Equal(400, covered.Count);
        Assert.DoesNotContain(first.Concat(second).Concat(third), p => ReferenceEquals(p.Client, p.Server));
        Assert.Contains("every 3 round(s)", sampler.Description, StringComparison.Ordinal);
    }

    private static List<SimulatedWorkload> Estate(int clusters, int perCluster)
    {
        var authorization = new PeerAuthorization();
        return Enumerable.Range(1, clusters)
            .SelectMany(c => Enumerable.Range(1, perCluster).Select(w => new SimulatedWorkload("d", $"cluster-{c:D2}", $"workload-{w:D2}", authorization)))
            .ToList();
    }
}
