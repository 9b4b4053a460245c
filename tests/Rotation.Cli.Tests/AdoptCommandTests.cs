using System.Text.RegularExpressions;
using Rotation.Cli.Tests.Support;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>`rotation adopt --from-dir` through the real command tree, SQLite home and vault; then both rotations run as after init.</summary>
public sealed partial class AdoptCommandTests : IDisposable
{
    private const string Domain = "mesh.example.internal";
    private readonly TempDirectory _temp = new("rotation-cli-adopt");
    private readonly CliRunner _cli;
    private readonly SimulatedMesh _mesh;

    public AdoptCommandTests()
    {
        _cli = new CliRunner(_temp.File("home"));
        _mesh = new SimulatedMesh("prod-west/istio", _cli.Time, "web", "api");
        _cli.Targets = _mesh;
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Istio_legacy_sample_files_are_adopted_with_warnings_and_then_both_rotations_complete()
    {
        var made = await OpenSslCaFiles.IstioAsync(_temp.File("cacerts"), legacy: true);
        _cli.Time.SetUtcNow(DateTimeOffset.UtcNow); // openssl made the CAs valid from the moment it wrote them

        var adopt = await _cli.SucceedAsync("adopt", "--domain", Domain, "--from-dir", made.Directory);

        Assert.Contains("istio layout", adopt.StdOut);
        Assert.Equal(6, adopt.ErrorLines.Count(l => l.StartsWith("warning: ", StringComparison.Ordinal)));
        var adopted = await Homes.InventoryAsync(_cli.Home, Domain);
        Assert.Equal(Certificate.FromPem(await File.ReadAllTextAsync(made.RootCert)), adopted.ActiveRoot.Certificate);
        await _cli.SucceedAsync("inventory");
        await _cli.SucceedAsync("scan");
        _mesh.Seed(await Homes.ActiveIssuerAsync(_cli.Home, Domain, _cli.Environment[CliContext.PassphraseVariable]!));

        await RotateAsync("intermediate", "RetireOldIntermediate");
        await RotateAsync("root", "RetireOldRoot");

        var after = await Homes.InventoryAsync(_cli.Home, Domain);
        Assert.Equal(CaStatus.Retired, after.Find(adopted.ActiveRoot.Id)!.Status);
        Assert.Equal([after.ActiveRoot.Sha256], _mesh.Bundle.Fingerprints);
        Assert.Equal(after.ActiveIntermediate.Certificate, _mesh.IssuerCertificate);
    }

    [Fact]
    public async Task A_key_that_does_not_match_is_refused_in_one_line_and_the_home_is_unchanged()
    {
        await _cli.SucceedAsync("init", "--domain", "other.example.internal");
        var made = await OpenSslCaFiles.IstioAsync(_temp.File("bad"));
        var other = await OpenSslCaFiles.MakeAsync(_temp.File("other"));
        File.Copy(other.IntermediateKey, made.IntermediateKey, overwrite: true);
        _cli.Time.SetUtcNow(DateTimeOffset.UtcNow);
        var before = HomeSnapshot.Take(_cli.Home);

        var refused = await _cli.RunAsync("adopt", "--domain", Domain, "--from-dir", made.Directory);
        var usage = await _cli.RunAsync("adopt", "--domain", Domain);

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("the issuer key does not match", Assert.Single(refused.ErrorLines));
        Assert.Equal(2, usage.ExitCode);
        before.AssertUnchanged(_cli.Home);
    }

    private async Task RotateAsync(string kind, string approvalPhase)
    {
        var rotate = await _cli.SucceedAsync("rotate", kind);
        var id = RotationIdPattern().Match(rotate.StdOut).Value;
        Assert.Contains($"{approvalPhase} needs an approval", rotate.StdOut);
        await _cli.SucceedAsync("approve", id);
        var resume = await _cli.SucceedAsync("resume", id);
        Assert.Contains($"completed {id}", resume.StdOut);
    }

    [GeneratedRegex(@"rot-\d{14}-[0-9a-f]{6}")]
    private static partial Regex RotationIdPattern();
}
