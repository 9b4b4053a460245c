using System.Text;

namespace Rotation.Cli.Completion;

/// <summary>
/// A bash completion script (bash 4+, `complete -F`). It finds the command path among the words typed so far,
/// then offers that command's subcommands, its options, or an option's value (choices, or file names).
/// </summary>
internal static class BashCompletion
{
    public const string FunctionName = "_rotation_complete";

    public static string Script(IReadOnlyList<CompletionNode> nodes)
    {
        var script = new StringBuilder();
        script.AppendLine("# bash completion for rotation. Load it with: source <(rotation completion bash)");
        script.AppendLine($"{FunctionName}() {{");
        script.AppendLine("    local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"\" path=\"rotation\" word i");
        script.AppendLine("    (( COMP_CWORD > 0 )) && prev=\"${COMP_WORDS[COMP_CWORD-1]}\"");
        script.AppendLine("    for (( i = 1; i < COMP_CWORD; i++ )); do");
        script.AppendLine("        word=\"${COMP_WORDS[i]}\"");
        script.AppendLine("        case \"$path $word\" in");
        foreach (var node in nodes.Where(n => n.Commands.Count > 0))
        {
            script.AppendLine($"            {Alternatives(node.Commands.Select(c => $"{node.Path} {c}"))}) path=\"$path $word\" ;;");
        }

        script.AppendLine("        esac");
        script.AppendLine("    done");
        script.AppendLine("    case \"$path $prev\" in");
        foreach (var node in nodes)
        {
            foreach (var group in node.Values.GroupBy(v => (Choices: string.Join(' ', v.Choices), v.Paths)))
            {
                var patterns = Alternatives(group.Select(v => $"{node.Path} {v.Name}"));
                var reply = group.Key.Choices.Length > 0
                    ? $"COMPREPLY=( $(compgen -W {Quote(group.Key.Choices)} -- \"$cur\") )"
                    : group.Key.Paths ? "COMPREPLY=( $(compgen -f -- \"$cur\") )" : "COMPREPLY=()";
                script.AppendLine($"        {patterns}) {reply}; return 0 ;;");
            }
        }

        script.AppendLine("    esac");
        script.AppendLine("    local words=\"\"");
        script.AppendLine("    case \"$path\" in");
        foreach (var node in nodes)
        {
            var words = string.Join(' ', node.Words);
            script.AppendLine($"        {Quote(node.Path)}) words={Quote(words)} ;;");
        }

        script.AppendLine("    esac");
        script.AppendLine("    COMPREPLY=( $(compgen -W \"$words\" -- \"$cur\") )");
        script.AppendLine("}");
        script.AppendLine($"complete -F {FunctionName} rotation");
        return script.ToString();
    }

    private static string Alternatives(IEnumerable<string> words) => string.Join('|', words.Select(Quote));

    /// <summary>Single-quoted for the shell; the tree's names never hold a quote, but a description might one day.</summary>
    private static string Quote(string text) => $"'{text.Replace("'", "'\\''", StringComparison.Ordinal)}'";
}
