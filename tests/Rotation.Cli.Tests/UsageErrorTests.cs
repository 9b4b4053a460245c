using System.CommandLine;
using System.Text.RegularExpressions;
using Rotation.Cli.Commands;
using Rotation.Cli.Tests.Support;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>What a new user sees when the command line is wrong: one line, the word not understood, a suggestion.</summary>
public sealed partial class UsageErrorTests : IDisposable
{
    private readonly TempDirectory _temp = new("rotation-cli-usage");

    private string Home => _temp.File("home");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Bare_rotation_prints_the_commands_and_succeeds()
    {
        var result = await new CliRunner(Home).RunRawAsync();

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Contains("Usage:", result.StdOut);
        Assert.Contains("inventory", result.StdOut);
        Assert.Empty(result.StdErr);
    }

    [Theory]
    [InlineData("invntory", "unknown command 'invntory' for 'rotation'; did you mean 'inventory'?")]
    [InlineData("rotate rot", "unknown command 'rot' for 'rotation rotate'; did you mean 'root'?")]
    [InlineData("cluster chek", "unknown command 'chek' for 'rotation cluster'; did you mean 'check'?")]
    [InlineData("rotate foo", "unknown command 'foo' for 'rotation rotate': the commands are root, intermediate")]
    [InlineData("rotate", "'rotation rotate' needs a command: root, intermediate")]
    [InlineData("inventory --jsn", "unknown option '--jsn' for 'rotation inventory'; did you mean '--json'?")]
    [InlineData("inventory --hom x", "unknown option '--hom' for 'rotation inventory'; did you mean '--home'?")]
    [InlineData("verify --chain a --bundle b extra", "unexpected argument 'extra' for 'rotation verify'")]
    [InlineData("drill --clusters abc", "--clusters: 'abc' is not a whole number")]
    [InlineData("drill --seed -1x", "--seed: '-1x' is not a whole number")]
    [InlineData("drill --kind foo", "--kind: unknown rotation kind 'foo': use root or intermediate")]
    public async Task A_wrong_command_line_names_the_word_and_the_nearest_fit(string args, string expected)
    {
        var result = await new CliRunner(Home).RunRawAsync(args.Split(' '));

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith($"error: {expected}", line);
        Assert.EndsWith("--help')", line);
        Assert.Empty(result.StdOut);
    }

    [Fact]
    public async Task A_negative_seed_is_still_a_whole_number()
    {
        var result = await new CliRunner(Home).RunRawAsync("drill", "--seed", "-7", "--clusters", "0");

        // Parsing accepts -7; the drill's own range check then refuses --clusters 0, before anything runs.
        Assert.Equal(ExitCodes.Error, result.ExitCode);
        Assert.StartsWith("error: --clusters must be between 1 and 1000", Assert.Single(result.ErrorLines));
    }

    [Fact]
    public async Task No_bad_value_of_any_option_shows_a_dotnet_type_name()
    {
        // Every option of every command that takes a typed value, fed a word no parser accepts.
        var root = CommandTree.Create(new CliContext(TextWriter.Null, TextWriter.Null, _ => null, TimeProvider.System));
        var checkedOptions = 0;
        foreach (var (path, command, option) in TypedOptions(root, []))
        {
            // Required options and arguments get a harmless word, so the bad value is the only thing wrong.
            string[] required = [.. command.Options.Where(o => o.Required && o != option).SelectMany(o => new[] { o.Name, "x" }),
                .. command.Arguments.Where(a => a.Arity.MinimumNumberOfValues > 0).Select(_ => "x")];
            var result = await new CliRunner(Home).RunAsync([.. path, .. required, option.Name, "§bogus§"]);

            Assert.True(result.ExitCode == ExitCodes.Usage, $"{string.Join(' ', path)} {option.Name}: {result}");
            Assert.DoesNotMatch(TypeName(), result.StdErr);
            Assert.Contains(option.Name, result.StdErr);
            checkedOptions++;
        }

        Assert.True(checkedOptions >= 8, $"only {checkedOptions} typed options found: the sweep lost its subject");
    }

    [Fact]
    public async Task No_help_page_shows_a_dotnet_type_or_a_raw_timespan()
    {
        var root = CommandTree.Create(new CliContext(TextWriter.Null, TextWriter.Null, _ => null, TimeProvider.System));
        foreach (var path in CommandPaths(root, []))
        {
            var result = await new CliRunner(Home).RunRawAsync([.. path, "--help"]);

            Assert.Equal(ExitCodes.Ok, result.ExitCode);
            Assert.DoesNotMatch(TypeName(), result.StdOut);
            Assert.DoesNotMatch(RawTimeSpan(), result.StdOut);
        }
    }

    private static IEnumerable<(string[] Path, Command Command, Option Option)> TypedOptions(Command command, string[] path)
    {
        foreach (var option in command.Options)
        {
            var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
            // Options with their own action (--help, --version) take no value.
            if (type != typeof(string) && type != typeof(string[]) && type != typeof(bool) && option.Action is null)
            {
                yield return (path, command, option);
            }
        }

        foreach (var sub in command.Subcommands)
        {
            foreach (var item in TypedOptions(sub, [.. path, sub.Name]))
            {
                yield return item;
            }
        }
    }

    private static IEnumerable<string[]> CommandPaths(Command command, string[] path)
    {
        yield return path;
        foreach (var sub in command.Subcommands)
        {
            foreach (var item in CommandPaths(sub, [.. path, sub.Name]))
            {
                yield return item;
            }
        }
    }

    [GeneratedRegex(@"System\.|Rotation\.Core|expected type|Nullable`")]
    private static partial Regex TypeName();

    [GeneratedRegex(@"\b\d+\.\d\d:\d\d:\d\d\b")]
    private static partial Regex RawTimeSpan();
}
