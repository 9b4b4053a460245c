using System.CommandLine;
using Rotation.Cli.Commands;

namespace Rotation.Cli;

/// <summary>Parses, runs, and turns every failure into one line and an exit code.</summary>
public static class CliApp
{
    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        var parseResult = CommandTree.Create(context).Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            return ErrorReport.WriteUsage(context.Error, $"{parseResult.Errors[0].Message} (see '{HelpCommand(parseResult)}')");
        }

        try
        {
            return await parseResult.InvokeAsync(
                new InvocationConfiguration
                {
                    Output = context.Output,
                    Error = context.Error,
                    EnableDefaultExceptionHandler = false,
                },
                cancellationToken);
        }
        catch (Exception exception)
        {
            return ErrorReport.Write(context.Error, exception);
        }
    }

    private static string HelpCommand(ParseResult parseResult)
    {
        var names = new List<string>();
        for (var result = parseResult.CommandResult; result.Parent is System.CommandLine.Parsing.CommandResult parent; result = parent)
        {
            names.Insert(0, result.Command.Name);
        }

        names.Insert(0, "rotation");
        names.Add("--help");
        return string.Join(' ', names);
    }
}
