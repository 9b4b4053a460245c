using System.Text.Json;
using Rotation.Cli.Tests.Support;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>rotation cluster add|list|remove|check against a simulated Kubernetes cluster on loopback, through a kubeconfig file.</summary>
public sealed class ClusterCommandTests : IAsyncLifetime
{
    private const string Domain = "mesh.example.internal";
    private readonly TempDirectory _temp = new("rotation-cli-cluster");
    private readonly CliRunner _cli;
    private KubeSim _sim = null!;

    public ClusterCommandTests()
    {
        _cli = new CliRunner(_temp.File("home")) { Clock = TimeProvider.System };
    }

    public async Task InitializeAsync()
    {
        _sim = await KubeSim.StartAsync(_temp);
        await _cli.SucceedAsync("init", "--domain", Domain);
    }

    public async Task DisposeAsync()
    {
        await _sim.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task Add_registers_the_cluster_and_list_shows_it_as_a_table_and_as_json()
    {
        var add = await _cli.SucceedAsync("cluster", "add", "prod-west", "--kubeconfig", _sim.KubeconfigPath, "--context", KubeSim.ContextName,
            "--target", "istio", "--target", "linkerd:restartNamespaces=payments+orders");

        Assert.Contains("Registered cluster prod-west in mesh.example.internal", add.StdOut);
        var table = await _cli.SucceedAsync("cluster", "list");
        Assert.Matches(@"prod-west\s+│\s+mesh\.example\.internal\s+│\s+kubeconfig .*kubeconfig context sim\s+│\s+istio linkerd:restartNamespaces=payments\+orders", table.StdOut);

        var json = await _cli.SucceedAsync("cluster", "list", "--domain", Domain, "--json");
        using var document = JsonDocument.Parse(json.StdOut);
        var cluster = Assert.Single(document.RootElement.EnumerateArray());
        Assert.Equal("prod-west", cluster.GetProperty("name").GetString());
        Assert.Equal(Domain, cluster.GetProperty("domain").GetString());
        Assert.Equal("kubeconfig", cluster.GetProperty("connection").GetString());
        Assert.Equal(Path.GetFullPath(_sim.KubeconfigPath), cluster.GetProperty("kubeconfig").GetString());
        Assert.Equal("sim", cluster.GetProperty("context").GetString());
        Assert.Equal(["istio", "linkerd:restartNamespaces=payments+orders"], cluster.GetProperty("targets").EnumerateArray().Select(t => t.GetString()!).ToArray());
    }

    [Fact]
    public async Task Remove_unregisters_the_cluster_and_a_second_remove_is_an_error()
    {
        await _cli.SucceedAsync("cluster", "add", "prod-west", "--kubeconfig", _sim.KubeconfigPath, "--target", "istio");

        var remove = await _cli.SucceedAsync("cluster", "remove", "prod-west");
        var list = await _cli.SucceedAsync("cluster", "list", "--json");
        var again = await _cli.RunAsync("cluster", "remove", "prod-west");

        Assert.Contains("Removed cluster prod-west", remove.StdOut);
        Assert.Equal(0, JsonDocument.Parse(list.StdOut).RootElement.GetArrayLength());
        Assert.Equal(1, again.ExitCode);
        Assert.Equal("error: cluster 'prod-west' is not registered: see 'rotation cluster list'", Assert.Single(again.ErrorLines));
    }

    public static TheoryData<string, string[], int, string> BadAdds => new()
    {
        { "bad name", ["cluster", "add", "Prod_West", "--kubeconfig", "{kubeconfig}", "--target", "istio"], 1, "invalid cluster name 'Prod_West'" },
        { "unknown domain", ["cluster", "add", "prod-west", "--domain", "other.internal", "--kubeconfig", "{kubeconfig}", "--target", "istio"], 1, "unknown trust domain 'other.internal'" },
        { "missing kubeconfig", ["cluster", "add", "prod-west", "--kubeconfig", "{missing}", "--target", "istio"], 1, "does not exist: pass the path of a readable kubeconfig" },
        { "unknown context", ["cluster", "add", "prod-west", "--kubeconfig", "{kubeconfig}", "--context", "nope", "--target", "istio"], 1, "context 'nope' is not in kubeconfig" },
        { "unknown target kind", ["cluster", "add", "prod-west", "--kubeconfig", "{kubeconfig}", "--target", "consul"], 1, "consul" },
        { "unknown target option", ["cluster", "add", "prod-west", "--kubeconfig", "{kubeconfig}", "--target", "istio:colour=blue"], 1, "colour" },
        { "no target", ["cluster", "add", "prod-west", "--kubeconfig", "{kubeconfig}"], 1, "needs at least one target" },
        { "two connections", ["cluster", "add", "prod-west", "--kubeconfig", "{kubeconfig}", "--in-cluster", "--target", "istio"], 2, "--kubeconfig and --in-cluster are both given" },
        { "no connection", ["cluster", "add", "prod-west", "--target", "istio"], 2, "pass one of --kubeconfig FILE, --in-cluster or --aks" },
        { "context without kubeconfig", ["cluster", "add", "prod-west", "--in-cluster", "--context", "sim", "--target", "istio"], 2, "--context applies only with --kubeconfig" },
        { "bad aks id", ["cluster", "add", "prod-west", "--aks", "/subscriptions/x", "--target", "istio"], 1, "is not an AKS resource id" },
    };

    [Theory]
    [MemberData(nameof(BadAdds))]
    public async Task A_bad_add_is_one_line_naming_the_problem_and_changes_nothing(string why, string[] args, int exitCode, string expected)
    {
        await _cli.SucceedAsync("cluster", "add", "existing", "--kubeconfig", _sim.KubeconfigPath, "--target", "istio");
        var before = HomeSnapshot.Take(_cli.Home);
        var list = (await _cli.SucceedAsync("cluster", "list", "--json")).StdOut;
        var resolved = args.Select(a => a.Replace("{kubeconfig}", _sim.KubeconfigPath, StringComparison.Ordinal)
            .Replace("{missing}", _temp.File("no-such-kubeconfig"), StringComparison.Ordinal)).ToArray();

        var result = await _cli.RunAsync(resolved);

        Assert.True(result.ExitCode == exitCode, $"{why}: {result}");
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", line);
        Assert.Contains(expected, line);
        Assert.Equal(string.Empty, result.StdOut);
        Assert.Equal(list, (await _cli.SucceedAsync("cluster", "list", "--json")).StdOut);
        before.AssertUnchanged(_cli.Home);
    }

    [Fact]
    public async Task A_duplicate_name_is_refused()
    {
        await _cli.SucceedAsync("cluster", "add", "prod-west", "--kubeconfig", _sim.KubeconfigPath, "--target", "istio");

        var again = await _cli.RunAsync("cluster", "add", "prod-west", "--kubeconfig", _sim.KubeconfigPath, "--target", "linkerd");

        Assert.Equal(1, again.ExitCode);
        Assert.Contains("cluster 'prod-west' is already registered", Assert.Single(again.ErrorLines));
    }

    [Fact]
    public async Task Check_passes_on_a_ready_multi_root_istio_and_prints_reachability_permissions_and_preflight()
    {
        await _sim.SeedIstioAsync(await Homes.ActiveIssuerAsync(_cli.Home, Domain, _cli.Environment[CliContext.PassphraseVariable]!));
        await _cli.SucceedAsync("cluster", "add", "prod-west", "--kubeconfig", _sim.KubeconfigPath, "--target", "istio");

        var check = await _cli.RunAsync("cluster", "check", "prod-west");
        var json = await _cli.RunAsync("cluster", "check", "prod-west", "--kind", "intermediate", "--json");

        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains("pass  reachable: API server", check.StdOut);
        Assert.Matches(@"pass  prod-west/istio: may \S+", check.StdOut);
        Assert.DoesNotContain("FAIL", check.StdOut);
        Assert.Contains("Cluster prod-west is ready", check.StdOut);
        Assert.Equal(0, json.ExitCode);
        using var document = JsonDocument.Parse(json.StdOut);
        Assert.True(document.RootElement.GetProperty("passed").GetBoolean());
        Assert.True(document.RootElement.GetProperty("checks").GetArrayLength() > 2);
    }

    [Fact]
    public async Task Check_fails_with_exit_1_naming_ISTIO_MULTIROOT_MESH_when_istiod_lacks_it()
    {
        await _sim.SeedIstioAsync(await Homes.ActiveIssuerAsync(_cli.Home, Domain, _cli.Environment[CliContext.PassphraseVariable]!), multiRoot: false);
        await _cli.SucceedAsync("cluster", "add", "prod-west", "--kubeconfig", _sim.KubeconfigPath, "--target", "istio");

        var check = await _cli.RunAsync("cluster", "check", "prod-west");

        Assert.Equal(1, check.ExitCode);
        Assert.Contains("FAIL  prod-west/istio", check.StdOut);
        Assert.Contains("ISTIO_MULTIROOT_MESH", check.StdOut);
        var line = Assert.Single(check.ErrorLines);
        Assert.StartsWith("error: cluster 'prod-west' failed 1 check(s)", line);
        Assert.Contains("ISTIO_MULTIROOT_MESH", line);
    }
}
