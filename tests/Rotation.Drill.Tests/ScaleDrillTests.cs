using System.Diagnostics;
using Rotation.Drill.Drills;
using Rotation.Drill.Estate;
using Xunit.Abstractions;

namespace Rotation.Drill.Tests;

/// <summary>
/// `--clusters 20 --workloads 10`: 200 real TLS endpoints on this machine, rotated in the safe order under sampled
/// traffic. scripts/bench-drill.sh measures the same size through `rotation drill` (overhead against mandatory waits).
/// </summary>
public sealed class ScaleDrillTests(ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", "Scale")]
    public async Task Two_hundred_endpoints_rotate_in_the_safe_order_without_a_failed_handshake()
    {
        var startup = Stopwatch.StartNew();
        var a = DrillAuthorities.Create(EstateFixture.Domain, "A");
        var b = DrillAuthorities.Create(EstateFixture.Domain, "B");
        await using var estate = SimulatedEstate.Start(EstateFixture.Domain, a.AloneIssuer(), new SimulatedEstateOptions
        {
            Clusters = 20,
            WorkloadsPerCluster = 10,
            Cluster = new SimulatedClusterOptions
            {
                PropagationDelay = TimeSpan.FromMilliseconds(300),
                PropagationJitter = TimeSpan.FromMilliseconds(300),
                LeafTtl = TimeSpan.FromSeconds(6),
            },
        });
        var started = startup.Elapsed;
        var phases = new DrillPhaseTracker();

        var report = await new DrillRunner(estate, EstateFixture.Drill)
            .RunAsync(ct => ManualSafeRotation.RunAsync(estate, b, phases, cancellationToken: ct), phases);

        output.WriteLine($"estate start (200 leaves, 200 listeners): {started.TotalMilliseconds:0} ms; whole test: {startup.Elapsed.TotalMilliseconds:0} ms");
        output.WriteLine(report.ToJson());
        Assert.True(report.Passed, string.Join("\n", report.FailureExamples));
        Assert.Equal(200, report.Workloads);
        Assert.Contains("sampled", report.Sampling, StringComparison.Ordinal);
        Assert.True(report.TotalHandshakes >= 200, $"only {report.TotalHandshakes} handshakes");
        Assert.All(estate.Workloads, w => Assert.Equal([b.Root.Certificate.Sha256], w.TrustStore.Bundle.Fingerprints));
    }
}
