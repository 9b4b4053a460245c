using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Rotation.Cli.Tests.Support;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>
/// Progress on what takes more than a second: the drill's phases, the waits of a rotation, each cluster check and a
/// timeout naming the cluster. Progress is plain lines (no carriage returns) and never mixed into --json stdout.
/// </summary>
public sealed partial class ProgressTests : IDisposable
{
    private const string Domain = "mesh.example.internal";
    private readonly TempDirectory _temp = new("rotation-cli-progress");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task The_drill_shows_each_phase_on_stderr_while_it_runs_and_keeps_stdout_json()
    {
        var cli = new CliRunner(_temp.File("home")) { Clock = TimeProvider.System };

        var result = await cli.RunAsync("drill", "--clusters", "1", "--workloads", "2", "--json");

        // 3 is a drill that saw failed handshakes on a starved machine: its progress is what this test is about.
        Assert.True(result.ExitCode is 0 or 3, result.ToString());
        CommandSchemas.AssertValid("drill", result.StdOut);
        Assert.DoesNotContain('\r', result.StdErr);
        var lines = result.ErrorLines.Select(l => DrillLine().Match(l)).ToList();
        Assert.All(lines, m => Assert.True(m.Success, $"not a progress line: {m.Value}"));
        var texts = lines.Select(m => m.Groups["text"].Value).ToList();
        Assert.StartsWith("in-process: starting 1 cluster(s) x 2 workload(s)", texts[0]);
        var phases = texts.Where(t => t.StartsWith("phase ", StringComparison.Ordinal)).Select(t => t[6..]).ToList();
        Assert.Equal("Before", phases[0]);
        Assert.Contains("DistributeTrust", phases);
        Assert.Contains("RetireOldRoot", phases);
        Assert.Equal("After", phases[^1]);
        Assert.StartsWith("finished: ", texts[^1]);
        // Live: the lines carry the time since the start, and it grows while the drill runs.
        var seconds = lines.Select(m => double.Parse(m.Groups["seconds"].Value, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(seconds.Order(), seconds);
        Assert.True(seconds[^1] > seconds[0], string.Join('\n', result.ErrorLines));
    }

    [Fact]
    public async Task Rotate_says_what_it_waits_for_and_until_when_then_parks()
    {
        var (cli, _) = await PinnedMeshAsync();

        var result = await cli.RunAsync("rotate", "root", "--gate-retry", "1s", "--wait", "3s");

        Assert.True(result.ExitCode == 0, result.ToString());
        var waiting = Assert.Single(result.StdOut.Split('\n'), l => l.Contains("waiting until", StringComparison.Ordinal)
            && l.Contains("in 0m 1s", StringComparison.Ordinal));
        Assert.Matches(@"waiting until \d\d:\d\d:\d\d UTC \(in 0m 1s\) for gate VerifyTrust: ", waiting);
        Assert.Contains("parked ", result.StdOut);
    }

    [Fact]
    public async Task Rotate_json_puts_the_progress_on_stderr_and_only_the_rotation_on_stdout()
    {
        var (cli, _) = await PinnedMeshAsync();

        var result = await cli.RunAsync("rotate", "root", "--gate-retry", "1s", "--wait", "3s", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        CommandSchemas.AssertValid("rotate-root", result.StdOut);
        var rotation = JsonDocument.Parse(result.StdOut).RootElement;
        Assert.Equal("gate", rotation.GetProperty("waiting").GetProperty("kind").GetString());
        Assert.Equal("PT1S", rotation.GetProperty("policy").GetProperty("gateRetryInitial").GetString());
        Assert.Contains(result.ErrorLines, l => l.StartsWith("Started rot-", StringComparison.Ordinal));
        Assert.Contains(result.ErrorLines, l => l.StartsWith("waiting until", StringComparison.Ordinal) && l.Contains("for gate VerifyTrust", StringComparison.Ordinal));
        Assert.DoesNotContain('\r', result.StdErr);
        Assert.DoesNotContain('\u001b', result.StdErr);
    }

    [Fact]
    public async Task Cluster_check_of_an_unreachable_cluster_says_where_it_is_and_times_out_naming_it()
    {
        var cli = await UnreachableClusterAsync();

        var result = await cli.RunAsync("cluster", "check", "prod-west", "--timeout", "1s");

        Assert.Equal(1, result.ExitCode);
        var lines = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.StartsWith("checking cluster prod-west (kubeconfig ", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("FAIL  timeout: cluster 'prod-west' did not answer within 0m 1s", StringComparison.Ordinal));
        Assert.StartsWith("error: cluster 'prod-west' failed 1 check(s), first 'timeout'", Assert.Single(result.ErrorLines));
    }

    [Fact]
    public async Task Cluster_check_json_reports_the_timeout_as_a_check_and_progress_on_stderr()
    {
        var cli = await UnreachableClusterAsync();

        var result = await cli.RunAsync("cluster", "check", "prod-west", "--timeout", "1s", "--json");

        Assert.Equal(1, result.ExitCode);
        CommandSchemas.AssertValid("cluster-check", result.StdOut);
        var checks = JsonDocument.Parse(result.StdOut).RootElement.GetProperty("checks").EnumerateArray().ToList();
        Assert.Equal("timeout", checks[^1].GetProperty("check").GetString());
        Assert.False(checks[^1].GetProperty("passed").GetBoolean());
        Assert.StartsWith("checking cluster prod-west", result.ErrorLines[0]);
        Assert.Contains(result.ErrorLines, l => l.StartsWith("FAIL  timeout:", StringComparison.Ordinal));
    }

    /// <summary>A home whose mesh keeps one workload on the old root only, so VerifyTrust holds; real clock, so waits are real.</summary>
    private async Task<(CliRunner Cli, SimulatedMesh Mesh)> PinnedMeshAsync()
    {
        var cli = new CliRunner(_temp.File("home")) { Clock = TimeProvider.System };
        var mesh = new SimulatedMesh("prod-west/istio", TimeProvider.System, "web", "api");
        cli.Targets = mesh;
        await cli.SucceedAsync("init", "--domain", Domain);
        mesh.Seed(await Homes.ActiveIssuerAsync(cli.Home, Domain, cli.Environment[CliContext.PassphraseVariable]!));
        mesh.Pin("api", [(await Homes.InventoryAsync(cli.Home, Domain)).ActiveRoot.Sha256]);
        return (cli, mesh);
    }

    /// <summary>A cluster registered by the kubeconfig of a simulated API server that has since gone away: its port refuses.</summary>
    private async Task<CliRunner> UnreachableClusterAsync()
    {
        var cli = new CliRunner(_temp.File("home")) { Clock = TimeProvider.System };
        await cli.SucceedAsync("init", "--domain", Domain);
        var sim = await KubeSim.StartAsync(_temp);
        await sim.DisposeAsync();
        await cli.SucceedAsync("cluster", "add", "prod-west", "--kubeconfig", sim.KubeconfigPath, "--target", "istio");
        return cli;
    }

    [GeneratedRegex(@"^drill \+(?<seconds>\d+\.\d)s (?<text>.+)$")]
    private static partial Regex DrillLine();
}
