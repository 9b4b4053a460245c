using System.CommandLine;
using Rotation.Cli.Completion;

namespace Rotation.Cli.Commands;

/// <summary>rotation completion bash|zsh|pwsh: prints a completion script generated from the command tree.</summary>
internal static class CompletionCommand
{
    private static readonly string[] Shells = ["bash", "zsh", "pwsh"];

    public static Command Create(CliContext context)
    {
        var shell = new Argument<string>("SHELL") { Description = "bash, zsh or pwsh" };
        shell.CompletionSources.Add(Shells);
        shell.Validators.Add(result =>
        {
            var value = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
            if (!Shells.Contains(value, StringComparer.Ordinal))
            {
                result.AddError($"unknown shell '{value}': use bash, zsh or pwsh");
            }
        });
        var command = new Command("completion", "Print a shell completion script: source <(rotation completion bash)") { shell };
        command.SetAction(parseResult =>
        {
            // The tree is built anew so the script describes exactly the commands this binary parses.
            var nodes = CompletionModel.From(CommandTree.Create(context));
            var script = parseResult.GetValue(shell) switch
            {
                "zsh" => ZshCompletion.Script(nodes),
                "pwsh" => PwshCompletion.Script(nodes),
                _ => BashCompletion.Script(nodes),
            };
            context.Output.Write(script);
            return ExitCodes.Ok;
        });
        return command;
    }
}
