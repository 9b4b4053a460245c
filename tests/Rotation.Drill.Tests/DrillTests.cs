using System.Text.Json;
using Rotation.Core.Domain;
using Rotation.Drill.Drills;
using Rotation.Drill.Estate;
using Rotation.Drill.Traffic;
using Rotation.Drill.Workloads;

namespace Rotation.Drill.Tests;

public sealed class DrillTests
{
    [Fact]
    public async Task The_safe_order_applied_by_hand_rotates_the_estate_without_a_failed_handshake_and_reports_it_as_json()
    {
        await using var fixture = new EstateFixture();
        var phases = new DrillPhaseTracker();

        var report = await new DrillRunner(fixture.Estate, EstateFixture.Drill)
            .RunAsync(ct => ManualSafeRotation.RunAsync(fixture.Estate, fixture.B, phases, cancellationToken: ct), phases);

        Assert.True(report.Passed, report.ToJson());
        Assert.Equal(0, report.TotalFailures);
        Assert.True(report.TotalHandshakes >= 100, $"only {report.TotalHandshakes} handshakes");
        Assert.Equal(
            ["Before", "Starting", "DistributeTrust", "VerifyTrust", "SwitchIssuer", "VerifyLeaves", "RetireOldRoot", "VerifyRetired", "After"],
            report.Phases.Select(p => p.Name));
        Assert.True(report.Phases.Single(p => p.Name == "VerifyLeaves").Handshakes > 0);
        Assert.True(report.OpenSslHandshakes >= 6, $"{report.OpenSslHandshakes} openssl handshakes");
        Assert.All(fixture.Estate.Workloads, w => Assert.Equal([fixture.B.Root.Certificate.Sha256], w.TrustStore.Bundle.Fingerprints));
        Assert.All(fixture.Estate.Workloads, w => Assert.True(w.Credential!.Certificate.IsSignedBy(fixture.B.Intermediate.Certificate)));
        AssertReportJsonAddsUp(report);
    }

    /// <summary>The JSON is camelCase and its numbers are consistent with each other.</summary>
    private static void AssertReportJsonAddsUp(DrillReport report)
    {
        using var json = JsonDocument.Parse(report.ToJson());
        var root = json.RootElement;

        var phaseElements = root.GetProperty("phases").EnumerateArray().ToList();
        Assert.Equal(root.GetProperty("totalHandshakes").GetInt64(), phaseElements.Sum(p => p.GetProperty("handshakes").GetInt64()));
        Assert.Equal(root.GetProperty("totalFailures").GetInt64(), phaseElements.Sum(p => p.GetProperty("failures").GetInt64()));
        Assert.All(phaseElements, p => Assert.Equal(JsonValueKind.Object, p.GetProperty("failureReasons").ValueKind));
        Assert.All(phaseElements, p => Assert.True(p.GetProperty("durationMs").GetInt64() >= 0));
        var wall = root.GetProperty("wallMs").GetInt64();
        var mandatory = root.GetProperty("mandatoryWaitMs").GetInt64();
        // Distribute, switch (leaves move within 80% of 4s) and retire each impose a wait; none can exceed the wall time.
        Assert.InRange(mandatory, 1000, wall);
        Assert.InRange(root.GetProperty("overheadMs").GetInt64(), wall - mandatory - 1, wall - mandatory + 1);
        Assert.Equal(2, root.GetProperty("clusters").GetInt32());
        Assert.Equal(4, root.GetProperty("workloads").GetInt32());
        Assert.Contains("all 12 ordered workload pairs", root.GetProperty("sampling").GetString(), StringComparison.Ordinal);
        Assert.True(root.GetProperty("openSslHandshakes").GetInt64() > 0);
        Assert.True(root.GetProperty("passed").GetBoolean());
    }

    [Fact]
    public async Task The_naive_swap_is_seen_as_an_outage_of_unknown_authorities()
    {
        await using var fixture = new EstateFixture();

        var report = await NegativeControls.RunAsync(NegativeControl.NaiveSwap, fixture.Estate, fixture.B, EstateFixture.Drill);

        Assert.False(report.Passed);
        Assert.Null(report.Error);
        var bad = report.Phases.Where(p => p.Name is NegativeControls.NaiveSwapPhase or NegativeControls.NaiveSettlePhase).ToList();
        Assert.True(bad.Sum(p => p.Failures) > 0, report.ToJson());
        Assert.True(bad.Sum(p => p.FailureReasons.GetValueOrDefault(nameof(HandshakeFailureReason.UnknownAuthority))) > 0, report.ToJson());
        Assert.Equal(0, report.Phases.Single(p => p.Name == DrillRunner.BeforePhase).Failures);
        Assert.Equal(0, report.Phases.Single(p => p.Name == DrillRunner.AfterPhase).Failures);
    }

    [Fact]
    public async Task Issuing_from_the_new_intermediate_before_its_root_is_trusted_is_seen_as_an_outage()
    {
        await using var fixture = new EstateFixture();

        var report = await NegativeControls.RunAsync(NegativeControl.WrongOrder, fixture.Estate, fixture.B, EstateFixture.Drill);

        Assert.False(report.Passed);
        var early = report.Phases.Single(p => p.Name == NegativeControls.IssueBeforeTrustPhase);
        Assert.True(early.Failures > 0, report.ToJson());
        Assert.True(early.FailureReasons.GetValueOrDefault(nameof(HandshakeFailureReason.UnknownAuthority)) > 0, report.ToJson());
        Assert.Equal(0, report.Phases.Single(p => p.Name == DrillRunner.AfterPhase).Failures);
    }

    [Fact]
    public async Task A_rotation_that_throws_is_reported_as_an_error_and_not_as_a_pass()
    {
        await using var fixture = new EstateFixture(clusters: 2, workloads: 1);
        var phases = new DrillPhaseTracker();

        var report = await new DrillRunner(fixture.Estate, EstateFixture.Drill).RunAsync(
            async ct =>
            {
                phases.Set("Doomed");
                await Task.Delay(300, ct);
                throw new TimeoutException("gate held too long");
            },
            phases);

        Assert.Equal("gate held too long", report.Error);
        Assert.False(report.Passed);
        Assert.Equal(0, report.TotalFailures);
        Assert.True(report.Phases.Single(p => p.Name == "Doomed").Handshakes > 0);
    }

    [Fact]
    public async Task Without_an_openssl_binary_the_drill_still_runs_and_says_so_with_zero_openssl_handshakes()
    {
        await using var fixture = new EstateFixture(clusters: 2, workloads: 1);
        var phases = new DrillPhaseTracker();
        var options = new DrillOptions { Traffic = new TrafficOptions { OpenSslExecutable = "/nonexistent/openssl" } };

        var report = await new DrillRunner(fixture.Estate, options).RunAsync(ct => Task.Delay(200, ct), phases);

        Assert.True(report.Passed, report.ToJson());
        Assert.Equal(0, report.OpenSslHandshakes);
    }

    [Fact]
    public async Task The_estate_resolves_its_clusters_for_its_domain_only()
    {
        await using var fixture = new EstateFixture(clusters: 3, workloads: 1);

        var targets = await fixture.Estate.ResolveAsync(EstateFixture.Domain);

        Assert.Equal(["cluster-01", "cluster-02", "cluster-03"], targets.Select(t => t.Name));
        var error = await Assert.ThrowsAsync<DomainException>(() => fixture.Estate.ResolveAsync("other.example"));
        Assert.Contains("other.example", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_estate_too_small_to_handshake_is_refused_with_what_to_do()
    {
        var options = new SimulatedEstateOptions { Clusters = 1, WorkloadsPerCluster = 1 };

        var error = Assert.Throws<DomainException>(options.Validate);

        Assert.Contains("--clusters or --workloads", error.Message, StringComparison.Ordinal);
    }
}
