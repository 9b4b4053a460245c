using System.Text.Json;
using Rotation.Cli.Tests.Support;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>The real executable in a child process: exit codes, stdout and stderr as a shell script sees them.</summary>
public sealed class ProcessTests : IDisposable
{
    private const string Domain = "mesh.example.internal";
    private readonly TempDirectory _temp = new("rotation-cli-process");
    private readonly ProcessRunner _rotation;

    public ProcessTests() => _rotation = new ProcessRunner(_temp.File("home"));

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_platform_engineer_session_end_to_end()
    {
        var init = await _rotation.RunAsync("init", "--domain", Domain);
        Assert.True(init.ExitCode == 0, init.ToString());
        Assert.Empty(init.StdErr);

        var inventory = await _rotation.RunAsync("inventory", "--json");
        Assert.Equal(0, inventory.ExitCode);
        Assert.Equal(2, JsonDocument.Parse(inventory.StdOut).RootElement.GetArrayLength());

        var leaf = _temp.File("leaf");
        var issue = await _rotation.RunAsync("issue-leaf", "--spiffe-id", $"spiffe://{Domain}/ns/default/sa/web", "--dns", "web.default.svc", "--out", leaf);
        Assert.True(issue.ExitCode == 0, issue.ToString());

        var verify = await _rotation.RunAsync("verify", "--chain", Path.Combine(leaf, "chain.pem"), "--bundle", Path.Combine(leaf, "bundle.pem"), "--purpose", "server");
        Assert.Equal(0, verify.ExitCode);
        Assert.StartsWith("valid: CN=web.default.svc", verify.StdOut);

        var expired = await _rotation.RunAsync("verify", "--chain", Path.Combine(leaf, "chain.pem"), "--bundle", Path.Combine(leaf, "bundle.pem"), "--at", "2099-01-01");
        Assert.Equal(4, expired.ExitCode);
        Assert.StartsWith("error: chain is not valid (Expired)", Assert.Single(expired.ErrorLines));

        var scan = await _rotation.RunAsync("scan", "--at", "2099-01-01", "--json");
        Assert.Equal(0, scan.ExitCode);
        Assert.Contains(JsonDocument.Parse(scan.StdOut).RootElement.EnumerateArray(), e => e.GetProperty("type").GetString() == "Rotation.CertificateExpired");
    }

    [Fact]
    public async Task Errors_exit_1_usage_exits_2_each_with_one_line_on_stderr_and_nothing_changed()
    {
        Assert.Equal(0, (await _rotation.RunAsync("init", "--domain", Domain)).ExitCode);
        var before = HomeSnapshot.Take(_rotation.Home);

        var again = await _rotation.RunAsync("init", "--domain", Domain);
        var badKey = await _rotation.RunAsync("init", "--domain", "other.internal", "--key", "ed448");
        var unknownCommand = await _rotation.RunAsync("rotate-everything");
        var unknownDomain = await _rotation.RunAsync("export", "bundle", "--domain", "nope.internal", "--out", _temp.File("b.pem"));
        _rotation.Environment[CliContext.PassphraseVariable] = "wrong";
        var wrongPassphrase = await _rotation.RunAsync("export", "istio", "--out", _temp.File("istio"));

        Assert.Equal(1, again.ExitCode);
        Assert.Equal(2, badKey.ExitCode);
        Assert.Equal(2, unknownCommand.ExitCode);
        Assert.Equal(1, unknownDomain.ExitCode);
        Assert.Equal(1, wrongPassphrase.ExitCode);
        foreach (var result in new[] { again, badKey, unknownCommand, unknownDomain, wrongPassphrase })
        {
            Assert.StartsWith("error: ", Assert.Single(result.ErrorLines));
            Assert.Empty(result.StdOut);
        }

        before.AssertUnchanged(_rotation.Home);
        Assert.False(File.Exists(_temp.File("b.pem")));
        Assert.False(Directory.Exists(_temp.File("istio")));
    }
}
