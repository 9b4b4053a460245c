using System.Text;

namespace Rotation.Cli.Completion;

/// <summary>
/// A PowerShell native-command completer (Register-ArgumentCompleter -Native): the same walk as the bash script,
/// over hashtables generated from the command tree.
/// </summary>
internal static class PwshCompletion
{
    public static string Script(IReadOnlyList<CompletionNode> nodes)
    {
        var script = new StringBuilder();
        script.AppendLine("# PowerShell completion for rotation. Load it with: rotation completion pwsh | Out-String | Invoke-Expression");
        script.AppendLine("Register-ArgumentCompleter -Native -CommandName rotation -ScriptBlock {");
        script.AppendLine("    param($wordToComplete, $commandAst, $cursorPosition)");
        script.AppendLine("    $commands = @{");
        foreach (var node in nodes)
        {
            script.AppendLine($"        {Quote(node.Path)} = @({List(node.Commands)})");
        }

        script.AppendLine("    }");
        script.AppendLine("    $words = @{");
        foreach (var node in nodes)
        {
            script.AppendLine($"        {Quote(node.Path)} = @({List(node.Words)})");
        }

        script.AppendLine("    }");
        script.AppendLine("    $values = @{");
        foreach (var node in nodes)
        {
            foreach (var value in node.Values)
            {
                script.AppendLine($"        {Quote($"{node.Path} {value.Name}")} = @({List(value.Choices)})");
            }
        }

        script.AppendLine("    }");
        script.AppendLine("""
                $typed = @($commandAst.CommandElements | Where-Object { $_.Extent.EndOffset -lt $cursorPosition -or ($_.Extent.EndOffset -eq $cursorPosition -and $wordToComplete -eq '') } | ForEach-Object { $_.Extent.Text })
                if ($wordToComplete -ne '' -and $typed.Count -gt 0 -and $typed[-1] -eq $wordToComplete) { $typed = @($typed | Select-Object -SkipLast 1) }
                $path = 'rotation'
                foreach ($word in ($typed | Select-Object -Skip 1)) {
                    if ($commands[$path] -contains $word) { $path = "$path $word" }
                }
                $previous = if ($typed.Count -gt 1) { $typed[-1] } else { '' }
                $key = "$path $previous"
                if ($values.ContainsKey($key)) {
                    $candidates = $values[$key]
                    if ($candidates.Count -eq 0) { return }
                } else {
                    $candidates = @($words[$path])
                }
                $candidates | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object {
                    [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
                }
            }
            """);
        return script.ToString();
    }

    private static string List(IEnumerable<string> words) => string.Join(", ", words.Select(Quote));

    private static string Quote(string text) => $"'{text.Replace("'", "''", StringComparison.Ordinal)}'";
}
