using System.Text.Json;
using System.Text.RegularExpressions;
using Rotation.Cli.Tests.Support;
using Rotation.Core.Pki;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>
/// Consumers outside Kubernetes through the CLI's own composition: `cluster add --dir --reload --endpoint` registers a
/// host with a files target, `cluster check` runs its preflight, and a root rotation reaches its directory and runs
/// its reload command.
/// </summary>
public sealed partial class HostClusterTests : IAsyncLifetime
{
    private const string Domain = "mesh.example.internal";
    private static readonly string[] FastGates = ["--max-leaf-ttl", "2s", "--leaf-grace", "1s", "--gate-retry", "200ms"];
    private readonly TempDirectory _temp = new("rotation-cli-host");
    private readonly CliRunner _cli;

    public HostClusterTests()
    {
        _cli = new CliRunner(_temp.File("home")) { Clock = TimeProvider.System };
        Directory.CreateDirectory(Dir);
    }

    private string Dir => _temp.File("etc-mesh");

    private string ReloadLog => _temp.File("reloads.log");

    public async Task InitializeAsync() => await _cli.SucceedAsync("init", "--domain", Domain);

    public Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }

    [GeneratedRegex(@"rot-[0-9]{14}-[0-9a-f]{6}")]
    private static partial Regex RotationIdPattern();

    [Fact]
    public async Task Add_registers_a_host_with_a_files_target_and_check_runs_its_preflight()
    {
        var add = await _cli.SucceedAsync("cluster", "add", "vm1", "--dir", Dir, "--reload", $"sh -c 'echo reload >> {ReloadLog}'", "--endpoint", "https://127.0.0.1:8443/");

        Assert.Contains("Registered cluster vm1", add.StdOut);
        var json = await _cli.SucceedAsync("cluster", "list", "--json");
        using var document = JsonDocument.Parse(json.StdOut);
        var cluster = Assert.Single(document.RootElement.EnumerateArray());
        Assert.Equal("host", cluster.GetProperty("connection").GetString());
        var target = Assert.Single(cluster.GetProperty("targets").EnumerateArray()).GetString()!;
        Assert.StartsWith("files:", target, StringComparison.Ordinal);
        Assert.Contains($"dir={Dir}", target, StringComparison.Ordinal);
        Assert.Contains("endpoints=https://127.0.0.1:8443/", target, StringComparison.Ordinal);

        var check = await _cli.SucceedAsync("cluster", "check", "vm1");
        Assert.Contains("files directory", check.StdOut);
        Assert.Contains("files current content", check.StdOut);
    }

    [Fact]
    public async Task Add_refuses_a_directory_that_does_not_exist_naming_it_and_stores_nothing()
    {
        // Intended change: add used to register a missing directory without its claim file, so a second domain could
        // later claim the same directory unseen. Now add refuses it (bad input, exit 1) and says how to fix it.
        var missing = _temp.File("missing");
        var homeBefore = HomeSnapshot.Take(_cli.Home);

        var refused = await _cli.RunAsync("cluster", "add", "vm2", "--dir", missing);

        Assert.True(refused.ExitCode == 1, refused.ToString());
        var line = Assert.Single(refused.ErrorLines);
        Assert.Contains($"directory {missing} does not exist: create it first (mkdir -p {missing}", line);
        Assert.False(Directory.Exists(missing));
        homeBefore.AssertUnchanged(_cli.Home);
        Assert.Equal("[]", (await _cli.SucceedAsync("cluster", "list", "--json")).StdOut.Trim());

        var file = _temp.File("a-file");
        await File.WriteAllTextAsync(file, "x");
        var notADirectory = await _cli.RunAsync("cluster", "add", "vm2", "--dir", file);
        Assert.True(notADirectory.ExitCode == 1, notADirectory.ToString());
        Assert.Contains($"{file} is a file, not a directory", Assert.Single(notADirectory.ErrorLines));
    }

    [Fact]
    public async Task Check_fails_on_a_directory_that_disappeared_after_add_and_names_it()
    {
        var gone = Directory.CreateDirectory(_temp.File("gone")).FullName;
        await _cli.SucceedAsync("cluster", "add", "vm2", "--dir", gone);
        Directory.Delete(gone, recursive: true);

        var check = await _cli.RunAsync("cluster", "check", "vm2");

        Assert.Equal(1, check.ExitCode);
        Assert.Contains($"{gone} does not exist", check.StdErr + check.StdOut);
    }

    [Theory]
    [InlineData(2, "--reload applies only with --dir", "cluster", "add", "vm3", "--kubeconfig", "/nonexistent", "--reload", "nginx -s reload", "--target", "istio")]
    [InlineData(2, "drop --kubeconfig", "cluster", "add", "vm3", "--kubeconfig", "/nonexistent", "--dir", "/tmp")]
    [InlineData(2, "its only target is 'files'", "cluster", "add", "vm3", "--dir", "/tmp", "--target", "istio")]
    [InlineData(1, "register it without --kubeconfig", "cluster", "add", "vm3", "--in-cluster", "--target", "files:dir=/tmp")]
    [InlineData(1, "no port", "cluster", "add", "vm3", "--dir", "/tmp", "--endpoint", "127.0.0.1")]
    public async Task Mistakes_are_refused_with_one_line_and_store_nothing(int exitCode, string expected, params string[] args)
    {
        var result = await _cli.RunAsync(args);

        Assert.Equal(exitCode, result.ExitCode);
        Assert.Contains(expected, result.StdErr, StringComparison.Ordinal);
        var list = await _cli.SucceedAsync("cluster", "list", "--json");
        Assert.Equal("[]", list.StdOut.Trim());
    }

    [Fact]
    public async Task A_root_rotation_writes_the_hosts_directory_and_reloads_it()
    {
        await _cli.SucceedAsync("cluster", "add", "vm1", "--dir", Dir, "--reload", $"sh -c 'echo reload >> {ReloadLog}'");

        var rotate = await _cli.SucceedAsync(["rotate", "root", .. FastGates]);
        var id = RotationIdPattern().Match(rotate.StdOut).Value;
        Assert.Contains("target vm1/files", rotate.StdOut);
        await _cli.SucceedAsync("approve", id);
        var resume = await _cli.SucceedAsync("resume", id);

        Assert.Contains($"completed {id}", resume.StdOut);
        var after = await Homes.InventoryAsync(_cli.Home, Domain);
        Assert.Equal([after.ActiveRoot.Certificate], Pem.ReadCertificates(await File.ReadAllTextAsync(Path.Combine(Dir, "ca-bundle.pem"))));
        Assert.Equal(after.ActiveIntermediate.Certificate, Certificate.FromPem(await File.ReadAllTextAsync(Path.Combine(Dir, "issuer.crt"))));
        // DistributeTrust, SwitchIssuer and RetireOldRoot each changed files; nothing else reloads.
        Assert.Equal(3, File.ReadAllLines(ReloadLog).Length);
    }
}
