using System.Text.RegularExpressions;
using Rotation.Cli.Tests.Support;
using Rotation.Core.Authorities;
using Rotation.Core.Rotations;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>
/// <c>rotation export istio</c> writes what the Istio target has written to istio-system/cacerts, byte for byte, at
/// every phase of a root rotation, an intermediate rotation and an aborted root rotation: a platform engineer who
/// recreates the secret by hand from the export (kubectl create secret generic cacerts --from-file) gets what istiod
/// holds. The rotations run through the CLI against a simulated cluster, one approved phase at a time. 1.26.2 keeps
/// root-cert.pem's bytes on an issuer switch; 1.27.0-beta.0 skips equal bytes, so the target writes A+B+B there.
/// </summary>
public sealed partial class ExportIstioPhaseTests : IAsyncLifetime
{
    private const string Domain = "mesh.example.internal";
    private static readonly string[] FastGates = ["--max-leaf-ttl", "2s", "--leaf-grace", "1s", "--gate-retry", "200ms"];
    private static readonly string[] Files = [IstioCaFiles.CaCertName, IstioCaFiles.CaKeyName, IstioCaFiles.CertChainName, IstioCaFiles.RootCertName];
    private readonly TempDirectory _temp = new("rotation-cli-export-phases");
    private readonly CliRunner _cli;
    private KubeSim _sim = null!;
    private int _exports;

    public ExportIstioPhaseTests()
    {
        _cli = new CliRunner(_temp.File("home")) { Clock = TimeProvider.System };
    }

    public async Task InitializeAsync() => _sim = await KubeSim.StartAsync(_temp);

    public async Task DisposeAsync()
    {
        await _sim.DisposeAsync();
        _temp.Dispose();
    }

    [Theory]
    [InlineData("1.26.2")]
    [InlineData("1.27.0-beta.0")]
    public async Task Export_equals_cacerts_at_every_phase_of_a_root_and_an_intermediate_rotation(string version)
    {
        await StartAsync(version);
        var texts = new List<string>();

        await RotatePhaseByPhaseAsync("root", RotationPlans.For(RotationKind.Root).Count, version, texts);
        await RotatePhaseByPhaseAsync("intermediate", RotationPlans.For(RotationKind.Intermediate).Count, version, texts);

        // The case the issue names: after SwitchIssuer a 1.27.0-beta.0 istiod is handed A+B+B, a GA one A+B.
        var afterSwitch = CertificateCount(texts[4]);
        Assert.Equal(version == "1.27.0-beta.0" ? 3 : 2, afterSwitch);
        Assert.Equal(1, CertificateCount(texts[7])); // the rotation done: only B
    }

    [Theory]
    [InlineData("1.26.2")]
    [InlineData("1.27.0-beta.0")]
    public async Task Export_equals_cacerts_through_an_abort_after_the_issuer_switch(string version)
    {
        await StartAsync(version);
        var rotate = await _cli.SucceedAsync(["rotate", "root", "--approve-each-phase", .. FastGates]);
        var id = RotationIdPattern().Match(rotate.StdOut).Value;
        await AssertExportEqualsCaCertsAsync(version, "before Prepare");
        foreach (var phase in new[] { RotationPhase.Prepare, RotationPhase.DistributeTrust, RotationPhase.VerifyTrust, RotationPhase.SwitchIssuer })
        {
            await _cli.SucceedAsync("approve", id, "--phase", phase.ToString());
            await _cli.SucceedAsync("resume", id);
            await AssertExportEqualsCaCertsAsync(version, $"after {phase}");
        }

        var abort = await _cli.SucceedAsync(["abort", id, "--wait", "30s"]);

        Assert.Contains($"aborted {id}", abort.StdOut);
        Assert.Equal(1, CertificateCount(await AssertExportEqualsCaCertsAsync(version, "after the abort")));
    }

    private async Task StartAsync(string version)
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        await _sim.SeedIstioAsync(await Homes.ActiveIssuerAsync(_cli.Home, Domain, _cli.Environment[CliContext.PassphraseVariable]!), istiodVersion: version);
        await _cli.SucceedAsync("cluster", "add", "prod", "--domain", Domain, "--kubeconfig", _sim.KubeconfigPath, "--context", KubeSim.ContextName, "--target", "istio");
    }

    /// <summary>Approves one phase, runs it, and compares export with cacerts; records root-cert.pem after each.</summary>
    private async Task RotatePhaseByPhaseAsync(string kind, int phases, string version, List<string> texts)
    {
        var rotate = await _cli.SucceedAsync(["rotate", kind, "--approve-each-phase", .. FastGates]);
        var id = RotationIdPattern().Match(rotate.StdOut).Value;
        texts.Add(await AssertExportEqualsCaCertsAsync(version, $"{kind} rotation before its first phase"));
        var record = await Homes.Store(_cli.Home).FindRotationAsync(id);
        for (var i = 0; i < phases; i++)
        {
            var phase = record!.Plan[i];
            await _cli.SucceedAsync("approve", id, "--phase", phase.ToString());
            await _cli.SucceedAsync("resume", id);
            texts.Add(await AssertExportEqualsCaCertsAsync(version, $"{kind} rotation after {phase}"));
        }

        record = await Homes.Store(_cli.Home).FindRotationAsync(id);
        Assert.Equal(RotationStatus.Completed, record!.Status);
    }

    private async Task<string> AssertExportEqualsCaCertsAsync(string version, string when)
    {
        var output = _temp.File($"export-{++_exports}");
        await _cli.SucceedAsync("export", "istio", "--out", output, "--istiod-version", version);
        var secret = _sim.Store.Get(ResourceKinds.Secrets, "istio-system", "cacerts");
        foreach (var file in Files)
        {
            var exported = File.ReadAllText(Path.Combine(output, file));
            var written = KubeObjects.SecretText(secret, file);
            Assert.True(written == exported, $"{when}: exported {file} differs from cacerts\n--- cacerts:\n{written}\n--- export:\n{exported}");
        }

        return File.ReadAllText(Path.Combine(output, IstioCaFiles.RootCertName));
    }

    private static int CertificateCount(string pem) => Regex.Count(pem, "-----BEGIN CERTIFICATE-----");

    [GeneratedRegex(@"rot-\d{14}-[0-9a-f]{6}")]
    private static partial Regex RotationIdPattern();
}
