using System.Text.Json;
using Rotation.Cli.Tests.Support;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>`rotation drill` as README's main job: the real executable, real clock, real TLS handshakes.</summary>
public sealed class DrillCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new("rotation-cli-drill");
    private readonly ProcessRunner _rotation;

    public DrillCommandTests() => _rotation = new ProcessRunner(_temp.File("home")) { Timeout = TimeSpan.FromMinutes(4) };

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task The_drill_rotates_the_root_with_hundreds_of_handshakes_and_not_one_failure()
    {
        var result = await _rotation.RunAsync("drill", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var report = JsonDocument.Parse(result.StdOut);
        var root = report.RootElement;
        Assert.Equal(0, root.GetProperty("totalFailures").GetInt64());
        Assert.True(root.GetProperty("totalHandshakes").GetInt64() >= 200, result.StdOut);
        var phases = root.GetProperty("phases").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!);
        foreach (var phase in new[] { "Prepare", "DistributeTrust", "VerifyTrust", "SwitchIssuer", "VerifyLeaves", "RetireOldRoot", "VerifyRetired" })
        {
            Assert.True(phases.ContainsKey(phase), $"no {phase} in {result.StdOut}");
            Assert.Equal(0, phases[phase].GetProperty("failures").GetInt64());
            Assert.True(phases[phase].GetProperty("durationMs").GetInt64() >= 0);
        }

        Assert.True(root.GetProperty("openSslHandshakes").GetInt64() > 0, "no openssl peer took part");
        var wall = root.GetProperty("wallMs").GetInt64();
        Assert.Equal(wall, root.GetProperty("mandatoryWaitMs").GetInt64() + root.GetProperty("overheadMs").GetInt64());
        Assert.False(Directory.Exists(_rotation.Home), "the drill must not create or touch the operator's home");
    }

    [Theory]
    [InlineData("--naive")]
    [InlineData("--wrong-order")]
    public async Task The_negative_controls_see_the_outage_as_unknown_authority_and_exit_3(string control)
    {
        var result = await _rotation.RunAsync("drill", control, "--clusters", "2", "--workloads", "3", "--json");

        Assert.True(result.ExitCode == 3, result.ToString());
        using var report = JsonDocument.Parse(result.StdOut);
        var root = report.RootElement;
        Assert.True(root.GetProperty("totalFailures").GetInt64() > 0, result.StdOut);
        var reasons = root.GetProperty("phases").EnumerateArray()
            .SelectMany(p => p.GetProperty("failureReasons").EnumerateObject())
            .GroupBy(r => r.Name)
            .ToDictionary(g => g.Key, g => g.Sum(r => r.Value.GetInt64()));
        Assert.True(reasons.GetValueOrDefault("UnknownAuthority") > 0, result.StdOut);
    }

    [Fact]
    public async Task The_table_output_names_every_phase_and_the_verdict()
    {
        var result = await _rotation.RunAsync("drill", "--kind", "Intermediate", "--clusters", "2", "--workloads", "2");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("(intermediate)", result.StdOut);
        Assert.Contains("RetireOldIntermediate", result.StdOut);
        Assert.Contains("PASSED", result.StdOut);
    }

    [Fact]
    public async Task The_kubernetes_drill_rotates_simulated_clusters_through_the_adapter_without_a_failure()
    {
        var result = await _rotation.RunAsync("drill", "--kubernetes", "--clusters", "2", "--workloads", "3", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var report = JsonDocument.Parse(result.StdOut);
        var root = report.RootElement;
        Assert.Equal(0, root.GetProperty("totalFailures").GetInt64());
        Assert.True(root.GetProperty("totalHandshakes").GetInt64() >= 100, result.StdOut);
        Assert.Equal(2, root.GetProperty("clusters").GetInt32());
        Assert.Equal(6, root.GetProperty("workloads").GetInt32());
        var phases = root.GetProperty("phases").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
        Assert.Contains("RetireOldRoot", phases);
        Assert.False(Directory.Exists(_rotation.Home), "the drill must not create or touch the operator's home");
    }

    [Fact]
    public async Task The_aks_addon_drill_rotates_add_on_clusters_through_key_vault_without_a_failure()
    {
        var result = await _rotation.RunAsync("drill", "--kubernetes", "--aks-addon", "--clusters", "2", "--workloads", "2", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(result.ErrorLines, l => l.Contains("kubernetes, aks istio add-on: starting 2 cluster(s)", StringComparison.Ordinal));
        using var report = JsonDocument.Parse(result.StdOut);
        var root = report.RootElement;
        Assert.Equal(0, root.GetProperty("totalFailures").GetInt64());
        Assert.True(root.GetProperty("totalHandshakes").GetInt64() >= 100, result.StdOut);
        Assert.True(root.GetProperty("passed").GetBoolean(), result.StdOut);
        var phases = root.GetProperty("phases").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
        Assert.Contains("RetireOldRoot", phases);
        Assert.False(Directory.Exists(_rotation.Home), "the drill must not create or touch the operator's home");
    }

    [Fact]
    public async Task More_than_99_in_process_clusters_run_and_the_kubernetes_fleet_stays_at_99()
    {
        // 8 s leaves leave the renewals slack on a shared 2-core runner; the scaled default is LeafTtlScalingTests' job.
        var result = await _rotation.RunAsync("drill", "--clusters", "120", "--workloads", "1", "--leaf-ttl", "8s", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var report = JsonDocument.Parse(result.StdOut);
        var root = report.RootElement;
        Assert.Equal(120, root.GetProperty("clusters").GetInt32());
        Assert.True(root.GetProperty("valid").GetBoolean(), result.StdOut);
        Assert.Equal(0, root.GetProperty("totalFailures").GetInt64());
        Assert.Equal(8000, root.GetProperty("leafTtlMs").GetInt64());

        var fleet = await _rotation.RunAsync("drill", "--kubernetes", "--clusters", "100");
        Assert.Equal(ExitCodes.Error, fleet.ExitCode);
        Assert.StartsWith("error: --clusters must be between 1 and 99 with --kubernetes", Assert.Single(fleet.ErrorLines));
    }

    [Theory]
    [InlineData("--kubernetes", "--naive")]
    [InlineData("--aks-addon")]
    [InlineData("--aks-addon", "--naive")]
    [InlineData("--kubernetes", "--aks-addon", "--wrong-order")]
    [InlineData("--naive", "--wrong-order")]
    [InlineData("--clusters", "0")]
    [InlineData("--leaf-ttl", "forever")]
    public async Task Bad_drill_options_are_refused_with_one_line(params string[] args)
    {
        var result = await _rotation.RunAsync(["drill", .. args]);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Single(result.ErrorLines);
        Assert.StartsWith("error:", result.ErrorLines[0]);
        if (args.Contains("--aks-addon") && !args.Contains("--kubernetes"))
        {
            Assert.Equal(ExitCodes.Usage, result.ExitCode);
            Assert.Contains("--aks-addon needs --kubernetes", result.ErrorLines[0], StringComparison.Ordinal);
        }
    }
}
