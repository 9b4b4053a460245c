using System.CommandLine;

namespace Rotation.Cli.Parsing;

/// <summary>--by NAME: who does a recorded act (approve, leaf forget); user@host when omitted.</summary>
internal static class ActorOption
{
    public static Option<string?> Create(string description) => new("--by")
    {
        Description = $"{description} (default user@host)",
        HelpName = "NAME",
    };

    public static string ValueOf(ParseResult parseResult, Option<string?> option, CliContext context) =>
        parseResult.GetValue(option) is { Length: > 0 } named ? named.Trim() : $"{context.User}@{System.Environment.MachineName}";
}
