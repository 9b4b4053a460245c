using Rotation.Cli.Tests.Support;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>rotation metrics: the exposition text of a real home, and its refusals.</summary>
public sealed class MetricsCommandTests : IDisposable
{
    private const string Domain = "mesh.example.internal";
    private readonly TempDirectory _temp = new("rotation-cli");
    private readonly CliRunner _cli;

    public MetricsCommandTests() => _cli = new CliRunner(_temp.File("home"));

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Prints_every_CA_of_the_home_in_the_exposition_format()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        var inventory = await Homes.InventoryAsync(_cli.Home, Domain);

        var result = await _cli.SucceedAsync("metrics");

        Assert.Contains("# TYPE rotation_ca_expiry_timestamp_seconds gauge", result.StdOut, StringComparison.Ordinal);
        Assert.Contains($"ca=\"{inventory.ActiveRoot.Id}\"", result.StdOut, StringComparison.Ordinal);
        Assert.Contains($"ca=\"{inventory.ActiveIntermediate.Id}\"", result.StdOut, StringComparison.Ordinal);
        Assert.Contains($"{inventory.ActiveRoot.NotAfter.ToUnixTimeSeconds()}", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_domain_is_one_error_line()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);

        var result = await _cli.RunAsync("metrics", "--domain", "other.example");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("unknown trust domain 'other.example'", result.StdErr, StringComparison.Ordinal);
        Assert.Empty(result.StdOut);
    }

    [Theory]
    [InlineData("9464")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("no such host!:9464")]
    public async Task A_bad_listen_address_is_a_usage_error(string address)
    {
        await _cli.SucceedAsync("init", "--domain", Domain);

        var result = await _cli.RunAsync("metrics", "--listen", address);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--listen", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_home_it_says_how_to_make_one()
    {
        var result = await _cli.RunAsync("metrics");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("rotation init", result.StdErr, StringComparison.Ordinal);
    }
}
