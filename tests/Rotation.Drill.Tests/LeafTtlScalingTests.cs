using Rotation.Drill.Estate;

namespace Rotation.Drill.Tests;

/// <summary>The drill's default leaf TTL grows with the estate so renewals keep to a quarter of the cores.</summary>
public sealed class LeafTtlScalingTests
{
    private static readonly SimulatedClusterOptions Physics = new();

    [Fact]
    public void A_small_estate_keeps_four_second_leaves_even_on_a_slow_machine()
    {
        Assert.Equal(TimeSpan.FromSeconds(4), LeafTtlScaling.For(12, TimeSpan.FromMilliseconds(50), 2, Physics));
    }

    [Fact]
    public void A_large_estate_gets_leaves_long_enough_that_renewals_use_a_quarter_of_the_cores()
    {
        // 1980 workloads × 5 ms per renewal / (0.65 mean re-issue fraction × 0.25 × 2 cores) = 30.5 s → 31 s.
        var ttl = LeafTtlScaling.For(1980, TimeSpan.FromMilliseconds(5), 2, Physics);

        Assert.Equal(TimeSpan.FromSeconds(31), ttl);
        var renewalsPerSecond = 1980 / (ttl.TotalSeconds * 0.65);
        Assert.True(renewalsPerSecond * 0.005 <= LeafTtlScaling.RenewalCpuShare * 2, $"{renewalsPerSecond:F0} renewals/s use more than the share");
    }

    [Fact]
    public void More_cores_or_cheaper_renewals_shorten_the_leaves()
    {
        var two = LeafTtlScaling.For(4000, TimeSpan.FromMilliseconds(4), 2, Physics);
        var eight = LeafTtlScaling.For(4000, TimeSpan.FromMilliseconds(4), 8, Physics);
        var cheaper = LeafTtlScaling.For(4000, TimeSpan.FromMilliseconds(1), 2, Physics);

        Assert.True(eight < two, $"{eight} is not shorter than {two}");
        Assert.True(cheaper < two, $"{cheaper} is not shorter than {two}");
    }

    [Fact]
    public void The_renewal_cost_is_measured_on_this_machine()
    {
        var cost = LeafTtlScaling.MeasureRenewalCost(samples: 5);

        Assert.InRange(cost, TimeSpan.FromTicks(1), TimeSpan.FromSeconds(5));
    }
}
