using System.Text.Json;
using System.Text.RegularExpressions;
using Rotation.Cli.Tests.Support;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>status, leaf list, cluster list and events on a 100-column terminal and through a pipe: ids stay whole on one line.</summary>
public sealed partial class TableWidthTests : IDisposable
{
    // A long domain makes long subjects, SANs and ids: the case where tables wrapped.
    private const string Domain = "payments-eu-west.mesh.platform.example.internal";
    private readonly TempDirectory _temp = new("rotation-cli-tables");
    private readonly CliRunner _cli;
    private readonly SimulatedMesh _mesh;

    public TableWidthTests()
    {
        _cli = new CliRunner(_temp.File("home"));
        _mesh = new SimulatedMesh("prod-west/istio", _cli.Time, "web", "api");
        _cli.Targets = _mesh;
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task At_100_columns_every_table_fits_and_every_id_is_whole()
    {
        var ids = await PopulateAsync();
        _cli.TerminalWidth = 100;

        foreach (var (args, wanted) in ids)
        {
            var lines = Lines((await _cli.SucceedAsync(args)).StdOut);
            Assert.All(lines, line => Assert.True(line.Length <= 100, $"rotation {string.Join(' ', args)}: {line.Length} columns: {line}"));
            Assert.All(wanted, id => Assert.Contains(lines, line => line.Contains(id, StringComparison.Ordinal)));
        }
    }

    [Fact]
    public async Task Piped_every_row_stays_on_one_line_with_every_column()
    {
        var ids = await PopulateAsync();

        foreach (var (args, wanted) in ids)
        {
            var output = (await _cli.SucceedAsync(args)).StdOut;
            var lines = Lines(output);
            Assert.DoesNotContain("left out", output);
            foreach (var id in wanted)
            {
                var row = Assert.Single(lines, line => line.Contains(id, StringComparison.Ordinal));
                // The row keeps its timestamp and its widest column (subject, connection or event subject) whole.
                Assert.Contains(" UTC", row);
                Assert.True(new[] { Domain, "kubeconfig /", "rotations/", "authorities/" }.Any(wide => row.Contains(wide, StringComparison.Ordinal)), row);
            }
        }
    }

    /// <summary>A rotation, a recorded leaf, a cluster and events; returns each table command with the ids it must show whole.</summary>
    private async Task<List<(string[] Args, List<string> Ids)>> PopulateAsync()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        _mesh.Seed(await Homes.ActiveIssuerAsync(_cli.Home, Domain, _cli.Environment[CliContext.PassphraseVariable]!));
        var rotation = JsonDocument.Parse((await _cli.SucceedAsync("rotate", "intermediate", "--json")).StdOut).RootElement.GetProperty("id").GetString()!;
        await _cli.SucceedAsync("issue-leaf", "--spiffe-id", $"spiffe://{Domain}/ns/default/sa/web", "--dns", $"web.default.svc.{Domain}", "--out", _temp.File("leaf"));
        var serial = JsonDocument.Parse((await _cli.SucceedAsync("leaf", "list", "--json")).StdOut).RootElement[0].GetProperty("serial").GetString()!;
        var kubeconfig = _temp.Write("a-rather-long-folder-name-for-kubeconfigs/prod-west-europe-1.kubeconfig", Kubeconfig);
        await _cli.SucceedAsync("cluster", "add", "prod-west-europe-1", "--kubeconfig", kubeconfig, "--target", "istio", "--target", "trust-manager:bundle=mesh-roots,trustNamespace=cert-manager,sourceName=mesh-roots");
        await _cli.SucceedAsync("scan", "--at", CliRunner.Epoch.AddDays(400).ToString("O"));
        var events = JsonDocument.Parse((await _cli.SucceedAsync("events", "--json")).StdOut).RootElement.EnumerateArray()
            .Select(e => e.GetProperty("event").GetProperty("id").GetString()!).ToList();
        return
        [
            (["status"], [rotation]),
            (["leaf", "list"], [serial]),
            (["cluster", "list"], ["prod-west-europe-1"]),
            (["events"], events),
        ];
    }

    private const string Kubeconfig = """
        apiVersion: v1
        kind: Config
        current-context: sim
        clusters:
        - name: sim
          cluster:
            server: https://127.0.0.1:6443
        contexts:
        - name: sim
          context:
            cluster: sim
            user: sim
        users:
        - name: sim
          user:
            token: t
        """;

    private static string[] Lines(string text) =>
        AnsiEscape().Replace(text, string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    [GeneratedRegex(@"\x1b\[[0-9;]*m")]
    private static partial Regex AnsiEscape();
}
