using System.CommandLine;
using System.Text.RegularExpressions;

namespace Rotation.Cli;

/// <summary>
/// Turns System.CommandLine's parse errors into the line an operator needs: which word was not understood, the
/// nearest command or option it may have meant, and never a .NET type name.
/// </summary>
internal static partial class ParseErrorText
{
    public static string Describe(ParseResult parseResult)
    {
        var command = parseResult.CommandResult.Command;
        var path = CommandPath(parseResult);
        if (parseResult.UnmatchedTokens.Count > 0)
        {
            return Unmatched(parseResult.UnmatchedTokens[0], command, path);
        }

        if (command.Subcommands.Count > 0 && command.Action is null)
        {
            return $"'{path}' needs a command: {string.Join(", ", VisibleNames(command.Subcommands))}";
        }

        // A value that was given and is wrong says more than an option that was left out: report it first.
        var error = parseResult.Errors.FirstOrDefault(e => e.SymbolResult is not System.CommandLine.Parsing.CommandResult)
            ?? parseResult.Errors[0];
        return WithoutTypeNames(error.Message);
    }

    /// <summary>"rotation cluster check": the words of the command that was being parsed.</summary>
    public static string CommandPath(ParseResult parseResult)
    {
        var names = new List<string>();
        for (System.CommandLine.Parsing.SymbolResult? result = parseResult.CommandResult; result is not null; result = result.Parent)
        {
            if (result is System.CommandLine.Parsing.CommandResult commandResult)
            {
                names.Insert(0, commandResult.Parent is null ? "rotation" : commandResult.Command.Name);
            }
        }

        return string.Join(' ', names);
    }

    private static string Unmatched(string token, Command command, string path)
    {
        if (token.StartsWith('-'))
        {
            var options = CommandOptions.LongNamesAt(command);
            return $"unknown option '{token}' for '{path}'{Suggestion(token, options)}";
        }

        if (command.Subcommands.Count > 0)
        {
            var commands = VisibleNames(command.Subcommands).ToList();
            var suggestion = Suggestion(token, commands);
            return suggestion.Length > 0
                ? $"unknown command '{token}' for '{path}'{suggestion}"
                : $"unknown command '{token}' for '{path}': the commands are {string.Join(", ", commands)}";
        }

        return $"unexpected argument '{token}' for '{path}': it takes no further words (options start with --)";
    }

    private static IEnumerable<string> VisibleNames(IEnumerable<Command> commands) =>
        commands.Where(c => !c.Hidden).Select(c => c.Name);

    /// <summary>"; did you mean 'inventory'?" when one candidate is close enough to be the likely typo.</summary>
    private static string Suggestion(string token, IReadOnlyCollection<string> candidates)
    {
        var nearest = NearestName.Find(token, candidates);
        return nearest is null ? string.Empty : $"; did you mean '{nearest}'?";
    }

    /// <summary>Last resort for messages this class has no rule for: drop "as expected type 'System.Int32'".</summary>
    public static string WithoutTypeNames(string message)
    {
        var cannotParse = CannotParse().Match(message);
        if (cannotParse.Success)
        {
            return $"{cannotParse.Groups["option"].Value}: invalid value '{cannotParse.Groups["value"].Value}'";
        }

        return ExpectedType().Replace(message, string.Empty);
    }

    [GeneratedRegex("^Cannot parse argument '(?<value>[^']*)' for (option|command) '(?<option>[^']*)'")]
    private static partial Regex CannotParse();

    [GeneratedRegex(@"\s*as expected type '[^']*'")]
    private static partial Regex ExpectedType();
}
