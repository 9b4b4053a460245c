using System.Text.Json;
using Rotation.Cli.Commands;
using Rotation.Cli.Tests.Support;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>
/// Every command's real --json output, validated against its schema in docs/schemas (JsonSchema.Net, draft 2020-12),
/// swept for .NET TimeSpans, and never mixed with progress; then a check that no command was left out.
/// </summary>
public sealed class JsonOutputTests : IAsyncLifetime, IDisposable
{
    private const string Domain = "mesh.example.internal";
    private readonly TempDirectory _temp = new("rotation-cli-json");
    private readonly CliRunner _cli;
    private readonly SimulatedMesh _mesh;
    private readonly HashSet<string> _validated = new(StringComparer.Ordinal);
    private CloudEventsWebhook _hook = null!;

    public JsonOutputTests()
    {
        _cli = new CliRunner(_temp.File("home"));
        _mesh = new SimulatedMesh("prod-west/istio", _cli.Time, "web", "api");
        _cli.Targets = _mesh;
    }

    public async Task InitializeAsync() => _hook = await CloudEventsWebhook.StartAsync();

    public async Task DisposeAsync() => await _hook.DisposeAsync();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Every_command_prints_json_its_schema_accepts()
    {
        await JsonAsync("init", ["init", "--domain", Domain, "--json"]);
        _mesh.Seed(await Homes.ActiveIssuerAsync(_cli.Home, Domain, _cli.Environment[CliContext.PassphraseVariable]!));
        await JsonAsync("inventory", ["inventory", "--json"]);

        // CA material and leaves.
        var istio = _temp.File("istio");
        await JsonAsync("export-istio", ["export", "istio", "--out", istio, "--json"]);
        await JsonAsync("export-bundle", ["export", "bundle", "--out", _temp.File("bundle.pem"), "--json"]);
        var leafDir = _temp.File("leaf");
        await JsonAsync("issue-leaf", ["issue-leaf", "--spiffe-id", $"spiffe://{Domain}/ns/default/sa/web", "--dns", "web.default.svc", "--out", leafDir, "--json"]);
        var valid = await JsonAsync("verify", ["verify", "--chain", Path.Combine(leafDir, "chain.pem"), "--bundle", Path.Combine(leafDir, "bundle.pem"), "--json"]);
        Assert.True(valid.GetProperty("valid").GetBoolean());
        var invalid = await JsonAsync("verify", ["verify", "--chain", Path.Combine(leafDir, "chain.pem"), "--bundle", Path.Combine(istio, "ca-cert.pem"), "--json"], exitCode: 4);
        Assert.False(invalid.GetProperty("valid").GetBoolean());
        var leaves = await JsonAsync("leaf-list", ["leaf", "list", "--json"]);
        var serial = leaves[0].GetProperty("serial").GetString()!;
        await JsonAsync("leaf-forget", ["leaf", "forget", serial, "--json"]);

        // Expiry, events and their delivery.
        await JsonAsync("scan", ["scan", "--at", CliRunner.Epoch.AddDays(400).ToString("O"), "--json"]);
        await JsonAsync("scan", ["scan", "--bundle", Path.Combine(istio, "cert-chain.pem"), "--json"]);
        var events = await JsonAsync("events", ["events", "--json"]);
        var first = events[0].GetProperty("event").GetProperty("id").GetString()!;
        await Homes.Store(_cli.Home).RecordDeliveryFailureAsync([first], "test: parked", _cli.Time.GetUtcNow(), parkAfterAttempts: 1);
        await JsonAsync("events", ["events", "--failed", "--json"]);
        await JsonAsync("events-requeue", ["events", "requeue", first, "--json"]);
        var published = await JsonAsync("events-publish", ["events", "publish", "--to", $"webhook:{_hook.Endpoint}", "--json"]);
        Assert.Equal(events.GetArrayLength(), published.GetProperty("delivered").GetInt32());

        // Rotations: a dry run, one to its approval and on to the end, one aborted.
        await JsonAsync("rotate-root", ["rotate", "root", "--dry-run", "--json"]);
        await JsonAsync("rotate-intermediate", ["rotate", "intermediate", "--dry-run", "--json"]);
        var rotation = await JsonAsync("rotate-intermediate", ["rotate", "intermediate", "--json"]);
        var id = rotation.GetProperty("id").GetString()!;
        Assert.Equal("approval", rotation.GetProperty("waiting").GetProperty("kind").GetString());
        Assert.Equal("P1D", rotation.GetProperty("policy").GetProperty("maxLeafTtl").GetString());
        await JsonAsync("status", ["status", "--json"]);
        await JsonAsync("status", ["status", id, "--json"]);
        await JsonAsync("approve", ["approve", id, "--phase", "retire-old-intermediate", "--json"]);
        var resumed = await JsonAsync("resume", ["resume", id, "--json"]);
        Assert.Equal("completed", resumed.GetProperty("status").GetString());
        var root = await JsonAsync("rotate-root", ["rotate", "root", "--approve-each-phase", "--json"]);
        var aborted = await JsonAsync("abort", ["abort", root.GetProperty("id").GetString()!, "--json"]);
        Assert.Equal("aborted", aborted.GetProperty("status").GetString());

        // Clusters: a host outside Kubernetes needs no API server.
        var dir = Directory.CreateDirectory(_temp.File("host-dir")).FullName;
        await JsonAsync("cluster-add", ["cluster", "add", "edge", "--dir", dir, "--json"]);
        await JsonAsync("cluster-list", ["cluster", "list", "--json"]);
        var check = await JsonAsync("cluster-check", ["cluster", "check", "edge", "--json"], exitCode: null);
        Assert.NotEmpty(check.GetProperty("checks").EnumerateArray());
        await JsonAsync("cluster-remove", ["cluster", "remove", "edge", "--json"]);

        // Adopt what export istio wrote, into a second home.
        var adopter = new CliRunner(_temp.File("home-adopt"));
        await JsonAsync("adopt", ["--home", adopter.Home, "adopt", "--from-dir", istio, "--domain", Domain, "--json"], runner: adopter, raw: true);

        // The drill runs on the real clock; a small estate is enough for the shape. Its verdict is DrillCommandTests'
        // business: a starved machine can fail handshakes (exit 3), and the report still has its shape.
        var drill = new CliRunner(_temp.File("home-drill")) { Clock = TimeProvider.System };
        await JsonAsync("drill", ["drill", "--clusters", "1", "--workloads", "2", "--json"], exitCode: null, runner: drill, raw: true);

        var expected = CommandSchemas.Runnable(CommandTree.Create(new CliContext(TextWriter.Null, TextWriter.Null, _ => null, TimeProvider.System)))
            .Select(CommandSchemas.NameOf).Where(n => !CommandSchemas.Exceptions.ContainsKey(n));
        Assert.Empty(expected.Except(_validated));
    }

    [Theory]
    [InlineData(2, "usage", new[] { "invntory", "--json" })]
    [InlineData(2, "usage", new[] { "rotate", "root", "--wait", "forever", "--json" })]
    [InlineData(1, "failure", new[] { "inventory", "--json" })]
    [InlineData(1, "failure", new[] { "status", "rot-nope", "--json" })]
    public async Task A_failure_with_json_is_an_error_object_on_stdout_and_the_same_line_and_exit_code(int exitCode, string kind, string[] args)
    {
        var result = await _cli.RunAsync(args);
        var plain = await _cli.RunAsync(args.Where(a => a != "--json").ToArray());

        Assert.Equal(exitCode, result.ExitCode);
        Assert.Equal(plain.ExitCode, result.ExitCode);
        Assert.Equal(plain.StdErr, result.StdErr);
        CommandSchemas.AssertValid("error", result.StdOut);
        var error = JsonDocument.Parse(result.StdOut).RootElement.GetProperty("error");
        Assert.Equal(kind, error.GetProperty("kind").GetString());
        Assert.Equal(exitCode, error.GetProperty("exitCode").GetInt32());
        Assert.Equal(Assert.Single(result.ErrorLines), $"error: {error.GetProperty("message").GetString()}");
    }

    [Fact]
    public async Task A_refusal_with_json_is_kind_refused_exit_3()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        _mesh.Seed(await Homes.ActiveIssuerAsync(_cli.Home, Domain, _cli.Environment[CliContext.PassphraseVariable]!));
        var id = JsonDocument.Parse((await _cli.SucceedAsync("rotate", "root", "--json")).StdOut).RootElement.GetProperty("id").GetString()!;

        var result = await _cli.RunAsync("approve", id, "--phase", "verify-retired", "--json");

        Assert.True(result.ExitCode == 3, result.ToString());
        CommandSchemas.AssertValid("error", result.StdOut);
        Assert.Equal("refused", JsonDocument.Parse(result.StdOut).RootElement.GetProperty("error").GetProperty("kind").GetString());
    }

    /// <summary>Runs, checks the exit code (null: any), validates stdout against the schema and returns it parsed.</summary>
    private async Task<JsonElement> JsonAsync(string schema, string[] args, int? exitCode = 0, CliRunner? runner = null, bool raw = false)
    {
        runner ??= _cli;
        var result = raw ? await runner.RunRawAsync(args) : await runner.RunAsync(args);
        if (exitCode is { } expected)
        {
            Assert.True(result.ExitCode == expected, $"rotation {string.Join(' ', args)}: expected exit {expected}: {result}");
        }

        CommandSchemas.AssertValid(schema, result.StdOut);
        _validated.Add(schema);
        return JsonDocument.Parse(result.StdOut).RootElement.Clone();
    }
}
