using System.Globalization;
using System.Text.Json;
using Rotation.Cli.Tests.Support;
using Rotation.Core.Events;
using Rotation.Core.Pki;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>
/// `rotation scan --bundle FILE` and `rotation scan --cluster NAME`: certificates Rotation does not manage, judged per
/// layer by the policy's thresholds, events in the outbox with the object in the subject, nothing adopted.
/// </summary>
public sealed class ScanExternalTests : IAsyncDisposable
{
    private const string Domain = "mesh.example.internal";
    private readonly TempDirectory _temp = new("rotation-cli-scan-external");
    private readonly CliRunner _cli;

    public ScanExternalTests() => _cli = new CliRunner(_temp.File("home"));

    public ValueTask DisposeAsync()
    {
        _temp.Dispose();
        return ValueTask.CompletedTask;
    }

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static List<JsonElement> Events(CliResult result) => JsonDocument.Parse(result.StdOut).RootElement.EnumerateArray().ToList();

    private static (string Type, string Subject, string Layer, string State) Summary(JsonElement e) => (
        e.GetProperty("type").GetString()!,
        e.GetProperty("subject").GetString()!,
        e.GetProperty("data").GetProperty("layer").GetString()!,
        e.GetProperty("data").GetProperty("expiryState").GetString()!);

    /// <summary>A leaf, its issuing CA (pathLen 0), a mid-tier intermediate (pathLen 1) and a 3-year root, as one PEM chain file.</summary>
    private string WriteChain(DateTimeOffset now)
    {
        var root = TestPki.Root(now, "CN=Ext Root", TimeSpan.FromDays(3 * 365));
        var mid = TestPki.Intermediate(root, now, "CN=Ext Mid", TimeSpan.FromDays(400), pathLength: 1);
        var issuing = TestPki.Intermediate(mid, now, "CN=Ext Issuing", TimeSpan.FromDays(100), pathLength: 0);
        var leaf = TestPki.Leaf(issuing, now, lifetime: TimeSpan.FromDays(90));
        return _temp.Write("chain.pem", Pem.WriteCertificates([leaf.Certificate, issuing.Certificate, mid.Certificate, root.Certificate]));
    }

    [Theory]
    // days after minting -> (leaf, issuing, mid, root) states; root 3y (warn 2y, crit 6mo), mid 400d (warn 182d, crit 30d),
    // issuing 100d (warn 30d, crit 7d), leaf 90d (warn 4h, crit 1h)
    [InlineData(10, "ok", "ok", "ok", "ok")]
    [InlineData(75, "ok", "warning", "ok", "ok")]
    [InlineData(89.99, "critical", "warning", "ok", "ok")]
    [InlineData(380, "expired", "expired", "critical", "warning")]
    public async Task A_bundle_file_is_classified_per_layer_and_judged_by_each_layers_thresholds(double days, string leaf, string issuing, string mid, string root)
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        var bundle = WriteChain(_cli.Time.GetUtcNow());
        var inventoryBefore = await Homes.InventoryAsync(_cli.Home, Domain);

        var at = _cli.Time.GetUtcNow() + TimeSpan.FromDays(days);
        var json = await _cli.SucceedAsync("scan", "--bundle", bundle, "--at", Iso(at), "--json");
        var text = await _cli.SucceedAsync("scan", "--bundle", bundle, "--at", Iso(at));

        var expected = new Dictionary<string, string> { ["workload"] = leaf, ["issuing"] = issuing, ["intermediate"] = mid, ["root"] = root };
        var nearOrExpired = Events(json).Select(Summary).Where(e => e.Type != EventTypes.RotationDue).ToList();
        Assert.Equal(
            expected.Where(l => l.Value != "ok").Select(l => (l.Value == "expired" ? EventTypes.CertificateExpired : EventTypes.CertificateNearExpiry, $"bundles/{bundle}", l.Key, l.Value)).ToList(),
            nearOrExpired);
        Assert.All(Events(json), e => Assert.Equal("/rotation/bundles", e.GetProperty("source").GetString()));
        foreach (var (layer, state) in expected)
            Assert.Matches($@"│ {layer} +│ bundles/{bundle}.*│ {state} ", text.StdOut);
        Assert.Contains("nothing was adopted", text.StdOut);

        var inventoryAfter = await Homes.InventoryAsync(_cli.Home, Domain);
        Assert.Equal(inventoryBefore.Authorities.Select(a => a.Id), inventoryAfter.Authorities.Select(a => a.Id));
        var outbox = await Homes.Store(_cli.Home).ReadOutboxAsync();
        Assert.Equal(Events(json).Select(e => e.GetProperty("id").GetString()!).ToHashSet(), outbox.Select(o => o.Event.Id).ToHashSet());
    }

    [Fact]
    public async Task A_CA_past_two_thirds_of_its_life_is_due_for_rotation_and_a_leaf_never_is()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        var bundle = WriteChain(_cli.Time.GetUtcNow());

        var json = await _cli.SucceedAsync("scan", "--bundle", bundle, "--at", Iso(_cli.Time.GetUtcNow() + TimeSpan.FromDays(89)), "--json");

        Assert.Equal(["issuing"], Events(json).Select(Summary).Where(e => e.Type == EventTypes.RotationDue).Select(e => e.Layer));
    }

    [Theory]
    [InlineData("missing", "does not exist")]
    [InlineData("garbage", "no PEM certificate found")]
    [InlineData("with-key", "private key")]
    [InlineData("glued", "bad end line")]
    public async Task Bad_bundle_input_is_one_line_exit_1_and_changes_nothing(string kind, string expected)
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        var root = TestPki.Root(_cli.Time.GetUtcNow()).Certificate.ToPem().TrimEnd('\n');
        var file = kind switch
        {
            "missing" => _temp.File("nope.pem"),
            "garbage" => _temp.Write("garbage.pem", "this is not a certificate\n"),
            "with-key" => _temp.Write("with-key.pem", root + "\n" + TestKeys.For(Core.Pki.KeyAlgorithm.EcdsaP256, 0).ToPkcs8Pem()),
            _ => _temp.Write("glued.pem", root + root + "\n"), // what `cat` makes of two files without a trailing newline
        };
        var before = HomeSnapshot.Take(_cli.Home);

        var result = await _cli.RunAsync("scan", "--bundle", file);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(expected, Assert.Single(result.ErrorLines));
        Assert.Empty(result.StdOut);
        before.AssertUnchanged(_cli.Home);
    }

    [Fact]
    public async Task An_unknown_cluster_is_refused_and_bundle_with_cluster_is_a_usage_error()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        var bundle = WriteChain(_cli.Time.GetUtcNow());
        var before = HomeSnapshot.Take(_cli.Home);

        var unknown = await _cli.RunAsync("scan", "--cluster", "nowhere");
        var both = await _cli.RunAsync("scan", "--cluster", "nowhere", "--bundle", bundle);

        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("cluster 'nowhere' is not registered", Assert.Single(unknown.ErrorLines));
        Assert.Equal(2, both.ExitCode);
        before.AssertUnchanged(_cli.Home);
    }

    [Fact]
    public async Task A_cluster_scan_reports_its_CA_objects_istio_root_copies_and_cert_manager_leaves_and_writes_nothing_there()
    {
        _cli.Clock = TimeProvider.System; // the simulated cluster's controllers sign with the real clock
        await using var sim = await KubeSim.StartAsync(_temp);
        var now = DateTimeOffset.UtcNow;
        // A mesh CA this home did not make: a 2-year root (warning from the start: under 2 years left) and a 1-year issuer.
        var root = TestPki.Root(now, "CN=Foreign Root", TimeSpan.FromDays(2 * 365));
        var issuer = TestPki.Intermediate(root, now, "CN=Foreign Issuer", TimeSpan.FromDays(365));
        sim.Store.SeedIstiod(multiRootMesh: true, proxyConfigXdsAgent: true);
        sim.Store.PutIstioCaCerts(issuer, [root.Certificate], [root.Certificate]);
        sim.Store.EnsureNamespace("payments");
        sim.Store.EnsureNamespace("cert-manager");
        sim.Store.PutCaSecret("cert-manager", "mesh-ca", issuer, [root.Certificate], [root.Certificate]);
        sim.Store.PutCaIssuer(null, "mesh-ca", "mesh-ca");
        sim.Store.PutCertificate("payments", "api", "api-tls", "mesh-ca", "ClusterIssuer", duration: "2h");
        await KubeSim.WaitUntilAsync(() => sim.Store.TryGet(ResourceKinds.ConfigMaps, "payments", "istio-ca-root-cert") is not null
            && sim.Store.TryGet(ResourceKinds.Secrets, "payments", "api-tls") is { } secret && KubeObjects.SecretText(secret, "tls.crt") is not null);
        await _cli.SucceedAsync("init", "--domain", Domain);
        await _cli.SucceedAsync("cluster", "add", "prod", "--kubeconfig", sim.KubeconfigPath, "--context", KubeSim.ContextName,
            "--target", "istio", "--target", "cert-manager:issuerName=mesh-ca,certificateCaTrust=ignore");
        var cacertsBefore = sim.Store.Get(ResourceKinds.Secrets, "istio-system", "cacerts").ToJsonString();
        var inventoryBefore = await Homes.InventoryAsync(_cli.Home, Domain);

        // 1h30m on: the 2h leaf is critical (under 1h left), the root is in its warning window, the issuer is fine.
        var json = await _cli.SucceedAsync("scan", "--cluster", "prod", "--at", Iso(now + TimeSpan.FromMinutes(90)), "--json");

        var events = Events(json).Select(Summary).ToList();
        Assert.Contains((EventTypes.CertificateNearExpiry, "clusters/prod/secret istio-system/cacerts root-cert.pem", "root", "warning"), events);
        Assert.Contains((EventTypes.CertificateNearExpiry, "clusters/prod/configmap payments/istio-ca-root-cert root-cert.pem", "root", "warning"), events);
        Assert.Contains((EventTypes.CertificateNearExpiry, "clusters/prod/configmap istio-system/istio-ca-root-cert root-cert.pem", "root", "warning"), events);
        Assert.Contains((EventTypes.CertificateNearExpiry, "clusters/prod/secret payments/api-tls tls.crt", "workload", "critical"), events);
        Assert.DoesNotContain(events, e => e.Layer == "issuing");
        Assert.All(Events(json), e => Assert.Equal($"/rotation/domains/{Domain}/clusters/prod", e.GetProperty("source").GetString()));

        var text = await _cli.SucceedAsync("scan", "--cluster", "prod", "--at", Iso(now + TimeSpan.FromMinutes(90)));
        Assert.Matches(@"│ issuing +│ clusters/prod/secret istio-system/cacerts ca-cert\.pem .*│ ok ", text.StdOut);

        Assert.Equal(cacertsBefore, sim.Store.Get(ResourceKinds.Secrets, "istio-system", "cacerts").ToJsonString());
        var inventoryAfter = await Homes.InventoryAsync(_cli.Home, Domain);
        Assert.Equal(inventoryBefore.Authorities.Select(a => a.Id), inventoryAfter.Authorities.Select(a => a.Id));
        Assert.DoesNotContain(inventoryAfter.Authorities, a => a.Sha256 == root.Certificate.Sha256);
    }
}
