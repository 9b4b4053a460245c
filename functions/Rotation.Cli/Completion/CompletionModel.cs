using System.CommandLine;
using System.CommandLine.Completions;

namespace Rotation.Cli.Completion;

/// <summary>An option that takes a value, and what may be offered for it.</summary>
internal sealed record ValueOption(string Name, IReadOnlyList<string> Choices, bool Paths);

/// <summary>One command of the tree as a shell sees it: its words, what may follow it, which options take a value.</summary>
internal sealed record CompletionNode(
    string Path, IReadOnlyList<string> Commands, IReadOnlyList<string> ArgumentChoices, IReadOnlyList<string> Options, IReadOnlyList<ValueOption> Values)
{
    /// <summary>Everything that may be typed next as a word of its own.</summary>
    public IEnumerable<string> Words => Commands.Concat(ArgumentChoices).Concat(Options);
}

/// <summary>
/// The command tree flattened for completion scripts. The scripts are generated from the same tree the parser
/// uses, so a new command or option completes without anyone editing a script.
/// </summary>
internal static class CompletionModel
{
    private static readonly HashSet<string> PathHelpNames = new(StringComparer.Ordinal) { "FILE", "DIR", "PATH" };

    public static IReadOnlyList<CompletionNode> From(RootCommand root)
    {
        var nodes = new List<CompletionNode>();
        Walk(root, "rotation", nodes);
        return nodes;
    }

    private static void Walk(Command command, string path, List<CompletionNode> nodes)
    {
        var subcommands = command.Subcommands.Where(c => !c.Hidden).ToList();
        var options = CommandOptions.ValidAt(command).ToList();
        nodes.Add(new CompletionNode(
            path,
            subcommands.Select(c => c.Name).ToList(),
            command.Arguments.SelectMany(a => a.GetCompletions(CompletionContext.Empty)).Select(c => c.Label).ToList(),
            CommandOptions.LongNamesAt(command),
            options.Where(TakesValue).SelectMany(Values).ToList()));
        foreach (var sub in subcommands)
        {
            Walk(sub, $"{path} {sub.Name}", nodes);
        }
    }

    private static bool TakesValue(Option option) =>
        option.Action is null && option.ValueType != typeof(bool) && option.Arity.MaximumNumberOfValues > 0;

    private static IEnumerable<ValueOption> Values(Option option)
    {
        var choices = option.GetCompletions(CompletionContext.Empty).Select(c => c.Label).ToList();
        var paths = choices.Count == 0 && option.HelpName is { } helpName && PathHelpNames.Contains(helpName);
        return option.Aliases.Prepend(option.Name).Select(name => new ValueOption(name, choices, paths));
    }
}
