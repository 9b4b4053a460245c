using Rotation.Core.Rotations;
using Rotation.Drill.Drills;
using Rotation.Drill.Estate;
using Rotation.Infra.LocalVault;
using Rotation.Infra.Sqlite;
using Rotation.Testing;

namespace Rotation.Drill.Tests;

/// <summary>
/// A machine too busy to run the simulation (leaves renewed after they expired) makes the drill invalid, not failed
/// (issue 10 §3). The starvation is injected with <see cref="SimulatedClusterOptions.RenewalStall"/>.
/// </summary>
public sealed class RenewalLatenessTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Renewals_on_time_are_counted_and_none_comes_after_its_leaf_expired()
    {
        var renewals = await RunEstateAsync(EstateFixture.FastPhysics, TimeSpan.FromSeconds(7));

        Assert.True(renewals.Renewals >= 4, $"only {renewals.Renewals} renewals in 7 s of 4 workloads with 4 s leaves");
        Assert.Equal(0, renewals.AfterExpiry);
    }

    [Fact]
    public async Task Renewals_stalled_past_the_leaf_lifetime_are_seen_as_after_expiry_with_the_workload_named()
    {
        // 2 s leaves (valid 3 s from issue) re-issued at 1-1.6 s, each renewal 3 s late: every one comes after expiry.
        var starved = new SimulatedClusterOptions
        {
            PropagationDelay = TimeSpan.FromMilliseconds(50),
            PropagationJitter = TimeSpan.Zero,
            LeafTtl = TimeSpan.FromSeconds(2),
            RenewalStall = TimeSpan.FromSeconds(3),
        };

        var renewals = await RunEstateAsync(starved, TimeSpan.FromSeconds(6));

        Assert.True(renewals.AfterExpiry >= 1, $"no renewal after expiry: {renewals}");
        Assert.Equal(renewals.Renewals, renewals.AfterExpiry);
        Assert.InRange(renewals.WorstLateMs, 3000, 60_000);
        Assert.StartsWith("cluster-", renewals.WorstWorkload, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_drill_on_a_starved_estate_is_invalid_not_passed_and_says_so_in_its_json()
    {
        using var home = new TempDirectory("rotation-drill-starved");
        var store = new SqliteStateStore(new SqliteStoreOptions { DatabasePath = home.File("rotation.db") });
        var vault = new LocalKeyCustody(new LocalKeyVaultOptions { KeyDirectory = home.File("keys"), Passphrase = "drill-test-passphrase" });
        var request = new DrillRequest(
            EstateFixture.Domain,
            RotationKind.Intermediate,
            new SimulatedEstateOptions
            {
                Clusters = 1,
                WorkloadsPerCluster = 2,
                Cluster = new SimulatedClusterOptions { LeafTtl = TimeSpan.FromSeconds(2), RenewalStall = TimeSpan.FromSeconds(3) },
            },
            EstateFixture.Drill);

        var result = await EngineDrill.RunAsync(store, vault, request, TimeProvider.System);
        output.WriteLine(result.Report.ToJson());

        Assert.False(result.Report.Valid);
        Assert.False(result.Report.Passed);
        Assert.True(result.Report.Renewals.AfterExpiry > 0);
        var json = System.Text.Json.JsonDocument.Parse(result.Report.ToJson()).RootElement;
        Assert.False(json.GetProperty("valid").GetBoolean());
        Assert.True(json.GetProperty("renewals").GetProperty("afterExpiry").GetInt64() > 0);
    }

    private static async Task<RenewalLatenessReport> RunEstateAsync(SimulatedClusterOptions physics, TimeSpan runFor)
    {
        var initial = DrillAuthorities.Create(EstateFixture.Domain, "A");
        await using var estate = SimulatedEstate.Start(EstateFixture.Domain, initial.AloneIssuer(), new SimulatedEstateOptions
        {
            Clusters = 2,
            WorkloadsPerCluster = 2,
            Cluster = physics,
        });
        await Task.Delay(runFor);
        return estate.Renewals.Snapshot();
    }
}
