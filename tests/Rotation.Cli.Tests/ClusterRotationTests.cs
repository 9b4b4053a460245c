using System.Text.Json;
using System.Text.RegularExpressions;
using Rotation.Cli.Tests.Support;
using Rotation.Core.Pki;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>
/// The operator's path end to end: init, cluster add, rotate, approve, resume, status; the rotation reaches a simulated
/// Kubernetes cluster (istiod with a plug-in CA) only through the registered kubeconfig. Real clock: the leaf time rule
/// (Istio leaves are not observable) waits --max-leaf-ttl + --leaf-grace, kept to seconds here.
/// </summary>
public sealed partial class ClusterRotationTests : IAsyncLifetime
{
    private const string Domain = "mesh.example.internal";
    private static readonly string[] FastGates = ["--max-leaf-ttl", "2s", "--leaf-grace", "1s", "--gate-retry", "200ms"];
    private readonly TempDirectory _temp = new("rotation-cli-k8s-e2e");
    private readonly CliRunner _cli;
    private KubeSim _sim = null!;

    public ClusterRotationTests()
    {
        _cli = new CliRunner(_temp.File("home")) { Clock = TimeProvider.System };
    }

    public async Task InitializeAsync()
    {
        _sim = await KubeSim.StartAsync(_temp);
        await _cli.SucceedAsync("init", "--domain", Domain);
        await _sim.SeedIstioAsync(await Homes.ActiveIssuerAsync(_cli.Home, Domain, _cli.Environment[CliContext.PassphraseVariable]!));
        await _cli.SucceedAsync("cluster", "add", "prod-west", "--domain", Domain, "--kubeconfig", _sim.KubeconfigPath, "--context", KubeSim.ContextName, "--target", "istio");
    }

    public async Task DisposeAsync()
    {
        await _sim.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task A_root_rotation_then_an_intermediate_rotation_reach_istio_through_the_registered_cluster()
    {
        var before = await Homes.InventoryAsync(_cli.Home, Domain);

        await RotateAsync("root", "RetireOldRoot");

        var afterRoot = await Homes.InventoryAsync(_cli.Home, Domain);
        Assert.NotEqual(before.ActiveRoot.Id, afterRoot.ActiveRoot.Id);
        AssertCaCerts(afterRoot.ActiveIntermediate.Certificate, afterRoot.ActiveRoot.Certificate);
        await KubeSim.WaitUntilAsync(() => afterRoot.ActiveIntermediate.Certificate.Equals(_sim.Cluster.Istio.LoadedCa?.Ca.Certificate));

        await RotateAsync("intermediate", "RetireOldIntermediate");

        var afterIntermediate = await Homes.InventoryAsync(_cli.Home, Domain);
        Assert.Equal(afterRoot.ActiveRoot.Id, afterIntermediate.ActiveRoot.Id);
        Assert.NotEqual(afterRoot.ActiveIntermediate.Id, afterIntermediate.ActiveIntermediate.Id);
        AssertCaCerts(afterIntermediate.ActiveIntermediate.Certificate, afterIntermediate.ActiveRoot.Certificate);
        await KubeSim.WaitUntilAsync(() => afterIntermediate.ActiveIntermediate.Certificate.Equals(_sim.Cluster.Istio.LoadedCa?.Ca.Certificate));
    }

    private async Task RotateAsync(string kind, string approvalPhase)
    {
        var rotate = await _cli.SucceedAsync(["rotate", kind, .. FastGates]);
        var id = RotationIdPattern().Match(rotate.StdOut).Value;
        Assert.Contains("target prod-west/istio", rotate.StdOut);
        Assert.Contains($"{approvalPhase} needs an approval", rotate.StdOut);

        await _cli.SucceedAsync("approve", id);
        var resume = await _cli.SucceedAsync("resume", id);
        var status = await _cli.SucceedAsync("status", "--json");

        Assert.Contains($"completed {id}", resume.StdOut);
        using var document = JsonDocument.Parse(status.StdOut);
        var record = document.RootElement.EnumerateArray().Single(r => r.GetProperty("id").GetString() == id);
        Assert.Equal("completed", record.GetProperty("status").GetString());
        Assert.Equal(kind, record.GetProperty("kind").GetString());
    }

    /// <summary>istio-system/cacerts holds the new intermediate and, once the old root is retired, only the new root.</summary>
    private void AssertCaCerts(Certificate intermediate, Certificate root)
    {
        var (ca, roots) = _sim.CaCerts();
        Assert.Equal(intermediate, ca);
        Assert.Equal([root.Sha256], roots.Select(r => r.Sha256).Distinct().ToArray());
    }

    [GeneratedRegex(@"rot-\d{14}-[0-9a-f]{6}")]
    private static partial Regex RotationIdPattern();
}
