using Rotation.Cli.Tests.Support;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>
/// `rotation completion SHELL` scripts loaded into the real shells (bash, zsh, PowerShell; .ci/run installs the
/// last two) and asked to complete what a user types.
/// </summary>
public sealed class CompletionTests : IDisposable
{
    private readonly TempDirectory _temp = new("rotation-cli-completion");

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string, string[]> Typed() => new()
    {
        { "rotation clu", ["cluster"] },
        { "rotation cluster ch", ["check"] },
        { "rotation rotate root --max", ["--max-leaf-ttl"] },
        { "rotation drill --kind ", ["intermediate", "root"] },
        { "rotation --home /tmp inv", ["inventory"] },
        { "rotation init --key ecdsa", ["ecdsa-p256", "ecdsa-p384"] },
        // --events, --store and --vault are recursive like --home (intended change: the adapter options, issue 8 §7).
        { "rotation completion ", ["--events", "--help", "--home", "--store", "--vault", "bash", "pwsh", "zsh"] },
        { "rotation completion z", ["zsh"] },
    };

    [Theory]
    [MemberData(nameof(Typed))]
    public async Task Bash_completes_commands_options_and_choices(string line, string[] expected)
    {
        var script = await ScriptAsync("bash");
        var words = line.Split(' ');
        var call = $"source {script}; COMP_WORDS=({string.Join(' ', words.Select(w => $"'{w}'"))}); COMP_CWORD={words.Length - 1}; "
            + "_rotation_complete; printf '%s\\n' \"${COMPREPLY[@]}\"";

        var output = await RunAsync("bash", "--norc", "--noprofile", "-c", call);

        Assert.Equal(expected, Lines(output).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Bash_completes_file_names_for_path_options()
    {
        var script = await ScriptAsync("bash");
        var bundle = _temp.Write("bundle.pem", "x");

        var output = await RunAsync("bash", "--norc", "--noprofile", "-c",
            $"source {script}; COMP_WORDS=(rotation verify --bundle '{bundle[..^3]}'); COMP_CWORD=3; _rotation_complete; printf '%s\\n' \"${{COMPREPLY[@]}}\"");

        Assert.Equal([bundle], Lines(output));
    }

    [Fact]
    public async Task Zsh_loads_the_script_through_bashcompinit_and_completes()
    {
        var script = await ScriptAsync("zsh");

        // zsh's bashcompinit calls the function in sh emulation (0-based arrays); zsh itself then filters by prefix.
        var output = await RunAsync("zsh", "-f", "-c",
            $"source {script} && emulate sh -c 'COMP_WORDS=(rotation rotate r); COMP_CWORD=2; _rotation_complete; printf \"%s\\n\" \"${{COMPREPLY[@]}}\"'");

        Assert.Contains("root", Lines(output));
        Assert.Contains("intermediate", Lines(output));
    }

    [Fact]
    public async Task PowerShell_completes_commands_options_and_choices()
    {
        var script = await ScriptAsync("pwsh");
        var cases = Typed().Select(row => ((string)row[0], (string[])row[1])).ToList();

        // One pwsh for every case: it takes seconds to start. Each case prints its line, then its completions.
        var calls = string.Join("; ", cases.Select(c =>
            $"'>> {c.Item1}'; (TabExpansion2 -inputScript '{c.Item1}' -cursorColumn {c.Item1.Length}).CompletionMatches | ForEach-Object CompletionText"));
        var output = await RunAsync(Pwsh(), "-NoProfile", "-NonInteractive", "-Command", $". '{script}'; {calls}");

        var blocks = output.Split(">> ", StringSplitOptions.RemoveEmptyEntries).Select(b => Lines(b)).ToList();
        Assert.Equal(cases.Count, blocks.Count);
        foreach (var ((line, expected), block) in cases.Zip(blocks))
        {
            Assert.Equal(line.TrimEnd(), block[0]);
            Assert.Equal(expected, block.Skip(1).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task An_unknown_shell_is_a_usage_error()
    {
        var result = await new CliRunner(_temp.File("home")).RunAsync("completion", "fish");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.StartsWith("error: unknown shell 'fish': use bash, zsh or pwsh", Assert.Single(result.ErrorLines));
    }

    private async Task<string> ScriptAsync(string shell)
    {
        var result = await new CliRunner(_temp.File("home")).RunAsync("completion", shell);
        Assert.True(result.ExitCode == 0, result.ToString());
        // PowerShell dot-sources only files it knows as scripts.
        return _temp.Write(shell == "pwsh" ? "rotation.ps1" : $"rotation.{shell}", result.StdOut);
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>pwsh on PATH, else where `dotnet tool install --global PowerShell` puts it (.ci/run does that).</summary>
    private static string Pwsh()
    {
        var tool = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", "pwsh");
        return File.Exists(tool) ? tool : "pwsh";
    }

    // A completion script that complains while loading is broken even if it completes: stderr must stay empty.
    private static Task<string> RunAsync(string program, params string[] args) => ExternalProgram.RunAsync(program, args, quietStderr: true);
}
