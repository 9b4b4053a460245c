using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Drill.Estate;

namespace Rotation.Drill.Tests;

public sealed class SimulatedClusterTests
{
    private static readonly SimulatedClusterOptions Physics = new()
    {
        PropagationDelay = TimeSpan.FromMilliseconds(400),
        PropagationJitter = TimeSpan.FromMilliseconds(200),
        LeafTtl = TimeSpan.FromSeconds(10),
    };

    [Fact]
    public async Task A_bundle_reaches_the_control_plane_at_once_and_the_workloads_only_after_the_propagation_delay()
    {
        await using var fixture = new ClusterFixture(Physics);

        await fixture.Cluster.ApplyTrustBundleAsync(fixture.Both, ClusterFixture.Context);
        Assert.True(fixture.Cluster.ControlPlaneBundle.SetEquals(fixture.Both));

        fixture.Time.Advance(TimeSpan.FromMilliseconds(399));
        await Task.Delay(200);
        Assert.All(await fixture.StoresAsync(), s => Assert.Single(s.Sha256Fingerprints));

        fixture.Time.Advance(TimeSpan.FromMilliseconds(202));
        await ClusterFixture.EventuallyAsync(
            async () => (await fixture.StoresAsync()).All(s => s.Sha256Fingerprints.Count == 2),
            "every workload holds both roots");
        Assert.Equal(3, (await fixture.StoresAsync()).Count);
    }

    [Fact]
    public async Task Applying_the_same_bundle_or_issuer_again_changes_nothing_and_pushes_nothing()
    {
        await using var fixture = new ClusterFixture(Physics);
        var from = fixture.Time.GetUtcNow();

        await fixture.Cluster.ApplyTrustBundleAsync(fixture.Both, ClusterFixture.Context);
        await fixture.Cluster.ApplyTrustBundleAsync(fixture.Both, ClusterFixture.Context);
        await fixture.Cluster.ApplyIssuerAsync(fixture.IssuerB(fixture.Both), ClusterFixture.Context);
        await fixture.Cluster.ApplyIssuerAsync(fixture.IssuerB(fixture.Both), ClusterFixture.Context);

        Assert.Equal(2, fixture.Cluster.EffectiveWrites.Count);
        Assert.StartsWith("bundle", fixture.Cluster.EffectiveWrites[0], StringComparison.Ordinal);
        Assert.StartsWith("issuer", fixture.Cluster.EffectiveWrites[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mandatory_waits_last_from_each_change_until_the_last_workload_caught_up()
    {
        await using var fixture = new ClusterFixture(Physics);
        var from = fixture.Time.GetUtcNow();

        await fixture.Cluster.ApplyTrustBundleAsync(fixture.Both, ClusterFixture.Context);
        await AdvanceInStepsAsync(fixture, TimeSpan.FromSeconds(1));
        var propagation = fixture.Waits.Total(from, fixture.Time.GetUtcNow());
        Assert.InRange(propagation, Physics.PropagationDelay, Physics.MaxPropagation + Slack);

        var switchedAt = fixture.Time.GetUtcNow();
        await fixture.Cluster.ApplyIssuerAsync(fixture.IssuerB(fixture.Both), ClusterFixture.Context);
        await AdvanceInStepsAsync(fixture, TimeSpan.FromSeconds(9));
        var leafMove = fixture.Waits.Total(switchedAt, fixture.Time.GetUtcNow());
        // Leaves were minted 1s before the switch, so the last one moves 4s..7s after it (well short of the 9s advanced).
        Assert.InRange(leafMove, TimeSpan.FromSeconds(4), Physics.MaxReissueWait - TimeSpan.FromSeconds(1) + (3 * Slack));
    }

    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    // On a busy machine a timer continuation can land a few steps after the step that fired it.
    private static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(300);

    /// <summary>Small steps so the moment each timer fires is the moment it is recorded.</summary>
    private static async Task AdvanceInStepsAsync(ClusterFixture fixture, TimeSpan total)
    {
        for (var elapsed = TimeSpan.Zero; elapsed < total; elapsed += Step)
        {
            fixture.Time.Advance(Step);
            await Task.Delay(15);
        }
    }

    [Fact]
    public async Task Leaves_move_to_the_new_issuer_between_50_and_80_percent_of_their_lifetime()
    {
        await using var fixture = new ClusterFixture(Physics);
        var initial = await fixture.LeavesAsync();
        Assert.All(initial, l => Assert.True(l.Leaf.IsSignedBy(fixture.A.Intermediate.Certificate)));

        await fixture.Cluster.ApplyIssuerAsync(fixture.IssuerB(fixture.Both), ClusterFixture.Context);
        fixture.Time.Advance(TimeSpan.FromSeconds(4.9));
        await Task.Delay(200);
        Assert.All(await fixture.LeavesAsync(), l => Assert.True(l.Leaf.IsSignedBy(fixture.A.Intermediate.Certificate), "no leaf re-issues before half its lifetime"));

        fixture.Time.Advance(TimeSpan.FromSeconds(3.2));
        await ClusterFixture.EventuallyAsync(
            async () => (await fixture.LeavesAsync()).All(l => l.Leaf.IsSignedBy(fixture.B.Intermediate.Certificate)),
            "every leaf is re-issued from B by 80% of its lifetime");
        var leaves = await fixture.LeavesAsync();
        Assert.All(leaves, l => Assert.Equal(fixture.B.Intermediate.Certificate, Assert.Single(l.Intermediates)));
        Assert.All(leaves, l => Assert.InRange(l.Leaf.Lifetime, Physics.LeafTtl, Physics.MaxLeafLifetime));
        Assert.All(leaves, l => Assert.Contains(l.Location.Replace('/', '.').Split('.')[1], l.Leaf.DnsNames[0], StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reports_show_one_store_and_one_observable_leaf_per_workload()
    {
        await using var fixture = new ClusterFixture(Physics, workloads: 4);

        var trust = await fixture.Cluster.ReportTrustAsync();
        var leaves = await fixture.Cluster.ReportLeavesAsync();

        Assert.Equal(["cluster-01/workload-01", "cluster-01/workload-02", "cluster-01/workload-03", "cluster-01/workload-04"], trust.Stores.Select(s => s.Location));
        Assert.All(trust.Stores, s => Assert.Equal(fixture.A.Root.Certificate.Sha256, Assert.Single(s.Sha256Fingerprints)));
        Assert.True(leaves.Observable);
        Assert.Equal(4, leaves.Leaves.Count);
        Assert.Equal("spiffe://mesh.example.internal/ns/cluster-01/sa/workload-02", leaves.Leaves[1].Leaf.UriNames.Single());
    }

    [Fact]
    public async Task Preflight_passes_for_a_healthy_cluster_and_an_unreachable_one_throws_target_unavailable()
    {
        await using var fixture = new ClusterFixture(Physics);

        var report = await fixture.Cluster.PreflightAsync(RotationKind.Root);
        Assert.True(report.Passed, string.Join("; ", report.Checks.Select(c => c.Detail)));

        fixture.Cluster.Reachable = false;
        var error = await Assert.ThrowsAsync<TargetUnavailableException>(() => fixture.Cluster.ReportTrustAsync());
        Assert.Equal("cluster-01", error.Target);
        await Assert.ThrowsAsync<TargetUnavailableException>(() => fixture.Cluster.ApplyTrustBundleAsync(fixture.Both, ClusterFixture.Context));
        Assert.Empty(fixture.Cluster.EffectiveWrites);
    }
}
