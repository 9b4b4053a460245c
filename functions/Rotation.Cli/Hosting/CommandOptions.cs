using System.CommandLine;

namespace Rotation.Cli;

/// <summary>The options valid at a command: its own and the recursive ones of the commands above it.</summary>
internal static class CommandOptions
{
    public static IEnumerable<Option> ValidAt(Command command) =>
        command.Options.Where(o => !o.Hidden)
            .Concat(Ancestors(command).SelectMany(parent => parent.Options.Where(o => o.Recursive && !o.Hidden)))
            .Distinct();

    /// <summary>The long names ("--json") of <see cref="ValidAt"/>, aliases included.</summary>
    public static List<string> LongNamesAt(Command command) =>
        ValidAt(command).SelectMany(o => o.Aliases.Prepend(o.Name))
            .Where(n => n.StartsWith("--", StringComparison.Ordinal))
            .Distinct()
            .ToList();

    private static IEnumerable<Command> Ancestors(Command command)
    {
        foreach (var parent in command.Parents.OfType<Command>())
        {
            yield return parent;
            foreach (var above in Ancestors(parent))
            {
                yield return above;
            }
        }
    }
}
