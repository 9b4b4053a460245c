using Rotation.Cli.Tests.Support;
using Rotation.Core.Pki;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>init refuses certainly-wrong validities and warns about odd ones; init and issue-leaf backdate like rotations do.</summary>
public sealed class InitChecksAndBackdatingTests : IDisposable
{
    private const string Domain = "mesh.example.internal";
    private readonly TempDirectory _temp = new("rotation-cli");
    private readonly CliRunner _cli;

    public InitChecksAndBackdatingTests() => _cli = new CliRunner(_temp.File("home"));

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Init_and_issue_leaf_backdate_five_minutes_so_a_peer_two_seconds_behind_accepts_a_fresh_leaf()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        var leafDir = _temp.File("leaf");
        await _cli.SucceedAsync("issue-leaf", "--spiffe-id", $"spiffe://{Domain}/ns/default/sa/web", "--out", leafDir);

        var inventory = await Homes.InventoryAsync(_cli.Home, Domain);
        var leaf = Certificate.FromPem(await File.ReadAllTextAsync(Path.Combine(leafDir, "cert.pem")));
        var now = CliRunner.Epoch;
        Assert.Equal(now.AddMinutes(-5), inventory.ActiveRoot.NotBefore);
        Assert.Equal(now.AddMinutes(-5), inventory.ActiveIntermediate.NotBefore);
        Assert.Equal(now.AddMinutes(-5), leaf.NotBefore);

        var behind = await _cli.RunAsync("verify", "--chain", Path.Combine(leafDir, "chain.pem"), "--bundle", Path.Combine(leafDir, "bundle.pem"), "--at", now.AddSeconds(-2).ToString("O"));
        Assert.True(behind.ExitCode == 0, behind.ToString());
    }

    [Fact]
    public async Task Backdating_is_configurable_and_a_leaf_never_starts_before_its_issuer()
    {
        await _cli.SucceedAsync("init", "--domain", Domain, "--backdate", "2m");
        var shortDir = _temp.File("short");
        var longDir = _temp.File("long");
        await _cli.SucceedAsync("issue-leaf", "--spiffe-id", $"spiffe://{Domain}/ns/default/sa/web", "--out", shortDir, "--backdate", "30s");
        await _cli.SucceedAsync("issue-leaf", "--spiffe-id", $"spiffe://{Domain}/ns/default/sa/web", "--out", longDir, "--backdate", "1h");

        var now = CliRunner.Epoch;
        Assert.Equal(now.AddMinutes(-2), (await Homes.InventoryAsync(_cli.Home, Domain)).ActiveRoot.NotBefore);
        Assert.Equal(now.AddSeconds(-30), Certificate.FromPem(await File.ReadAllTextAsync(Path.Combine(shortDir, "cert.pem"))).NotBefore);
        Assert.Equal(now.AddMinutes(-2), Certificate.FromPem(await File.ReadAllTextAsync(Path.Combine(longDir, "cert.pem"))).NotBefore);
    }

    [Theory]
    [InlineData("--root-validity", "1000y", "longer than 100 years")]
    [InlineData("--intermediate-validity", "10m", "expired almost at birth")]
    public async Task Init_refuses_a_certainly_wrong_validity_and_writes_no_domain(string option, string value, string expected)
    {
        var result = await _cli.RunAsync("init", "--domain", Domain, option, value);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(expected, Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        var inventory = await _cli.RunAsync("inventory", "--json");
        Assert.DoesNotContain(Domain, inventory.StdOut, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--intermediate-validity", "5d", "the issuing intermediate is critical at birth")]
    [InlineData("--intermediate-validity", "20d", "the issuing intermediate is near expiry at birth")]
    [InlineData("--root-validity", "50y", "over 30 years")]
    public async Task Init_warns_about_an_unusual_validity_and_still_creates_the_domain(string option, string value, string expected)
    {
        var result = await _cli.SucceedAsync("init", "--domain", Domain, option, value);

        var warning = Assert.Single(result.ErrorLines);
        Assert.StartsWith("warning: ", warning);
        Assert.Contains(expected, warning, StringComparison.Ordinal);
    }
}
