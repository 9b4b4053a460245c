using System.Text.Json;
using Rotation.Cli.Tests.Support;
using Rotation.Core.Pki;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>
/// `rotation adopt --from-cluster NAME` for each target kind (Istio's is <see cref="ForeignCaReproTests"/>): a CA this
/// home did not make sits in the cluster's objects (or a host's directory); `cluster check` refuses it as drift
/// (exit 3, naming the object and what to do), adopt records the roots and the issuer with its key from what the
/// targets hold, and then the drift check passes. A cluster whose targets issue nothing is refused, changing nothing.
/// </summary>
public sealed class AdoptFromClusterTests : IAsyncLifetime
{
    private const string Domain = "mesh.example.internal";
    private readonly TempDirectory _temp = new("rotation-adopt-cluster");
    private readonly CliRunner _cli;
    private readonly TestHierarchy _foreign = TestPki.Hierarchy(DateTimeOffset.UtcNow, name: "Foreign");
    private KubeSim _sim = null!;

    public AdoptFromClusterTests() => _cli = new CliRunner(_temp.File("home")) { Clock = TimeProvider.System };

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

    [Theory]
    [InlineData("linkerd")]
    [InlineData("cert-manager+trust-manager")]
    [InlineData("files")]
    public async Task A_foreign_CA_in_each_target_kind_is_drift_until_adopted_from_the_cluster(string kinds)
    {
        var name = await RegisterAsync(kinds);

        var before = await _cli.RunAsync("cluster", "check", name);

        Assert.True(before.ExitCode == 3, before.ToString());
        Assert.True(before.StdErr.Contains("drift", StringComparison.Ordinal) && before.StdErr.Contains($"cluster '{name}'", StringComparison.Ordinal)
            && before.StdErr.Contains($"rotation adopt --from-cluster {name}", StringComparison.Ordinal), before.ToString());
        Assert.Contains($"sha256:{_foreign.Root.Certificate.Sha256}", before.StdErr + before.StdOut);
        var rotate = await _cli.RunAsync("rotate", "root", "--dry-run");
        Assert.True(rotate.ExitCode == 3, rotate.ToString());
        Assert.Contains($"rotation adopt --from-cluster {name}", Assert.Single(rotate.ErrorLines));
        Assert.Empty(await Homes.Store(_cli.Home).ListRotationsAsync(Domain));

        await _cli.SucceedAsync("adopt", "--from-cluster", name);

        var adopted = await Homes.InventoryAsync(_cli.Home, Domain);
        Assert.Equal(_foreign.Root.Certificate.Sha256, adopted.ActiveRoot.Sha256);
        Assert.Equal(_foreign.Intermediate.Certificate.Sha256, adopted.ActiveIntermediate.Sha256);
        var after = await _cli.RunAsync("cluster", "check", name, "--json");
        using var json = JsonDocument.Parse(after.StdOut);
        var drift = json.RootElement.GetProperty("checks").EnumerateArray()
            .Where(c => c.GetProperty("check").GetString()!.EndsWith(": drift", StringComparison.Ordinal)).ToList();
        Assert.Equal(kinds.Split('+').Length, drift.Count);
        Assert.All(drift, c => Assert.True(c.GetProperty("passed").GetBoolean(), c.GetProperty("detail").GetString()));
        Assert.NotEqual(3, after.ExitCode);
    }

    [Fact]
    public async Task A_cluster_whose_targets_issue_nothing_is_refused_in_one_line_and_the_home_is_unchanged()
    {
        var name = await RegisterAsync("trust-manager");
        var before = HomeSnapshot.Take(_cli.Home);

        var refused = await _cli.RunAsync("adopt", "--from-cluster", name);

        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains($"cluster '{name}' has no target that issues", Assert.Single(refused.ErrorLines));
        before.AssertUnchanged(_cli.Home);
    }

    /// <summary>Seeds the foreign CA where the target kinds keep it and registers the cluster (or host) with those targets.</summary>
    private async Task<string> RegisterAsync(string kinds)
    {
        var root = _foreign.Root.Certificate;
        var store = _sim.Store;
        List<string> targets = [];
        foreach (var kind in kinds.Split('+'))
        {
            switch (kind)
            {
                case "linkerd":
                    store.SeedLinkerd([root], _foreign.Intermediate);
                    store.SeedLinkerdControlPlane(); // linkerd-identity's -identity-scheme says which keys the issuer secret has
                    targets.Add("linkerd");
                    break;
                case "cert-manager":
                    store.PutCaSecret("cert-manager", "mesh-ca", _foreign.Intermediate, [root], [root]);
                    store.PutCaIssuer(null, "mesh-ca", "mesh-ca");
                    targets.Add("cert-manager:issuerName=mesh-ca,certificateCaTrust=ignore");
                    break;
                case "trust-manager":
                    store.PutConfigMap("cert-manager", "mesh-roots", new Dictionary<string, string> { ["ca.crt"] = root.ToPem() });
                    store.PutBundle("mesh-bundle", [("mesh-roots", "ca.crt")], "roots.pem");
                    targets.Add("trust-manager:bundle=mesh-bundle,sourceName=mesh-roots");
                    break;
                case "files":
                    var dir = Directory.CreateDirectory(_temp.File("etc-mesh")).FullName;
                    await File.WriteAllTextAsync(Path.Combine(dir, "ca-bundle.pem"), root.ToPem());
                    await File.WriteAllTextAsync(Path.Combine(dir, "issuer.crt"), _foreign.Intermediate.Certificate.ToPem());
                    await File.WriteAllTextAsync(Path.Combine(dir, "issuer-chain.pem"), Pem.WriteCertificates([_foreign.Intermediate.Certificate, root]));
                    var key = Path.Combine(dir, "issuer.key");
                    File.Create(key, 0, FileOptions.None).Dispose();
                    File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                    await File.WriteAllTextAsync(key, _foreign.Intermediate.Key.ToPkcs8Pem());
                    await _cli.SucceedAsync("cluster", "add", "vm1", "--dir", dir);
                    return "vm1";
            }
        }

        await _cli.SucceedAsync(["cluster", "add", "prod", "--kubeconfig", _sim.KubeconfigPath, "--context", KubeSim.ContextName, .. targets.SelectMany(t => new[] { "--target", t })]);
        return "prod";
    }
}
