using System.Text.Json;
using System.Text.RegularExpressions;
using Rotation.Cli.Tests.Support;
using Rotation.Core.Pki;
using Rotation.Infra.Kubernetes.Simulator;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>
/// The repro of issue 7: home A makes a CA and its export seeds a cluster's istio-system/cacerts; home B has a domain
/// of the same name, registers the cluster, and rotates. Before the drift gate this wrote B's roots over A's live root.
/// Now preflight refuses (exit 3) and nothing in the cluster changes; after `adopt --from-cluster` the same rotation
/// completes while every workload pair's chain is checked every ~50 ms (<see cref="HandshakeProbe"/>): not one may fail.
/// </summary>
public sealed partial class ForeignCaReproTests : IAsyncLifetime
{
    private const string Domain = "mesh.example.internal";
    private static readonly string[] Namespaces = ["payments", "web"];
    private static readonly string[] FastGates = ["--max-leaf-ttl", "2s", "--leaf-grace", "1s", "--gate-retry", "200ms"];
    private readonly TempDirectory _temp = new("rotation-foreign-ca");
    private readonly CliRunner _homeA;
    private readonly CliRunner _homeB;
    private KubeSim _sim = null!;

    public ForeignCaReproTests()
    {
        _homeA = new CliRunner(_temp.File("A")) { Clock = TimeProvider.System };
        _homeB = new CliRunner(_temp.File("B")) { Clock = TimeProvider.System };
    }

    public async Task InitializeAsync()
    {
        _sim = await KubeSim.StartAsync(_temp);
        await _homeA.SucceedAsync("init", "--domain", Domain);
        var exported = _temp.File("cA");
        await _homeA.SucceedAsync("export", "istio", "--out", exported);

        // Seed cacerts from home A's export, as an operator would with kubectl create secret generic cacerts --from-file.
        _sim.Store.SeedIstiod(multiRootMesh: true, proxyConfigXdsAgent: true);
        _sim.Store.PutSecret("istio-system", "cacerts", new[] { "ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem" }
            .ToDictionary(f => f, f => File.ReadAllText(Path.Combine(exported, f))));
        foreach (var ns in Namespaces)
        {
            _sim.Store.PutWorkload(ns, "app");
        }

        await KubeSim.WaitUntilAsync(() => _sim.Cluster.Istio.LoadedCa is not null
            && Namespaces.All(ns => CrashEstate.RootBundle(_sim.Cluster, ns) is not null));

        await _homeB.SucceedAsync("init", "--domain", Domain);
        await _homeB.SucceedAsync("cluster", "add", "prod", "--kubeconfig", _sim.KubeconfigPath, "--context", KubeSim.ContextName, "--target", "istio");
    }

    public async Task DisposeAsync()
    {
        await _sim.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task Rotating_from_a_home_that_did_not_make_the_clusters_CA_is_refused_at_preflight_and_changes_nothing()
    {
        var rootA = (await Homes.InventoryAsync(_homeA.Home, Domain)).ActiveRoot;
        var cacertsBefore = _sim.Store.Get(ResourceKinds.Secrets, "istio-system", "cacerts").ToJsonString();
        var istiodBefore = _sim.Store.Get(ResourceKinds.Deployments, "istio-system", "istiod").ToJsonString();
        var writesBefore = Writes();

        var check = await _homeB.RunAsync("cluster", "check", "prod");
        var rotate = await _homeB.RunAsync(["rotate", "root", .. FastGates]);
        var dryRun = await _homeB.RunAsync("rotate", "root", "--dry-run");

        Assert.True(check.ExitCode == 3, check.ToString());
        Assert.Contains("drift", check.StdErr);
        foreach (var refused in new[] { rotate, dryRun })
        {
            Assert.True(refused.ExitCode == 3, refused.ToString());
            var line = Assert.Single(refused.ErrorLines);
            Assert.Contains("cluster 'prod'", line);
            Assert.Contains("secret istio-system/cacerts root-cert.pem", line);
            Assert.Contains($"sha256:{rootA.Sha256}", line);
            Assert.Contains("rotation adopt --from-cluster prod", line);
        }

        Assert.Empty(await Homes.Store(_homeB.Home).ListRotationsAsync(Domain));
        Assert.Equal(cacertsBefore, _sim.Store.Get(ResourceKinds.Secrets, "istio-system", "cacerts").ToJsonString());
        Assert.Equal(istiodBefore, _sim.Store.Get(ResourceKinds.Deployments, "istio-system", "istiod").ToJsonString());
        Assert.Equal(writesBefore, Writes());
    }

    [Fact]
    public async Task After_adopting_the_cluster_the_same_root_rotation_completes_with_zero_failed_chain_checks()
    {
        var rootA = (await Homes.InventoryAsync(_homeA.Home, Domain)).ActiveRoot;
        var intermediateA = (await Homes.InventoryAsync(_homeA.Home, Domain)).ActiveIntermediate;

        var adopt = await _homeB.SucceedAsync("adopt", "--from-cluster", "prod");

        Assert.Contains("adopted without its private key", adopt.StdErr);
        var adopted = await Homes.InventoryAsync(_homeB.Home, Domain);
        Assert.Equal(rootA.Sha256, adopted.ActiveRoot.Sha256);
        Assert.Equal(intermediateA.Sha256, adopted.ActiveIntermediate.Sha256);
        await _homeB.SucceedAsync("cluster", "check", "prod");
        await _homeB.SucceedAsync("inventory");
        await _homeB.SucceedAsync("scan");

        // The root's key stayed in home A: an intermediate rotation cannot sign under it, and says what to do instead.
        var intermediate = await _homeB.RunAsync("rotate", "intermediate");
        Assert.True(intermediate.ExitCode == 1, intermediate.ToString());
        Assert.Contains("rotate the root instead", intermediate.StdErr);
        Assert.Empty(await Homes.Store(_homeB.Home).ListRotationsAsync(Domain));

        await using var probe = new HandshakeProbe([("prod", _sim.Cluster)], Namespaces, TimeSpan.FromSeconds(2));
        await KubeSim.WaitUntilAsync(() => probe.Samples > 3);
        var rotate = await _homeB.SucceedAsync(["rotate", "root", .. FastGates]);
        var id = RotationIdPattern().Match(rotate.StdOut).Value;
        await _homeB.SucceedAsync("approve", id);
        var resume = await _homeB.SucceedAsync("resume", id);
        Assert.Contains($"completed {id}", resume.StdOut);

        var after = await Homes.InventoryAsync(_homeB.Home, Domain);
        await KubeSim.WaitUntilAsync(() => after.ActiveIntermediate.Certificate.Equals(_sim.Cluster.Istio.LoadedCa?.Ca.Certificate)
            && Namespaces.All(ns => CrashEstate.RootBundle(_sim.Cluster, ns)!.Fingerprints.SequenceEqual([after.ActiveRoot.Sha256])));
        probe.Sample();
        var (ca, roots) = _sim.CaCerts();
        Assert.Equal(after.ActiveIntermediate.Certificate, ca);
        Assert.Equal([after.ActiveRoot.Sha256], roots.Select(r => r.Sha256).Distinct().ToArray());
        Assert.NotEqual(rootA.Sha256, after.ActiveRoot.Sha256);
        Assert.True(probe.Checks > 0, "the probe checked no chain");
        Assert.True(probe.Failures.Count == 0, $"{probe.Failures.Count} of {probe.Checks} chain checks failed:\n{string.Join('\n', probe.Failures.Take(10))}");
    }

    /// <summary>Writes to the cluster's objects (a cluster check's SelfSubjectAccessReviews are questions, not writes).</summary>
    private int Writes() => _sim.Cluster.Server.Requests.Count(r => r.Request.Verb is "create" or "update" or "patch" or "delete" && r.Request.Resource != "selfsubjectaccessreviews");

    [GeneratedRegex(@"rot-\d{14}-[0-9a-f]{6}")]
    private static partial Regex RotationIdPattern();
}
