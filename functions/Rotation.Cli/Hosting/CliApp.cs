using System.CommandLine;
using Rotation.Cli.Commands;

namespace Rotation.Cli;

/// <summary>Parses, runs, and turns every failure into one line and an exit code.</summary>
public static class CliApp
{
    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        // Bare `rotation` is someone finding their way: show them the commands rather than an error.
        var parseResult = CommandTree.Create(context).Parse(args.Length == 0 ? ["--help"] : args);
        if (parseResult.Errors.Count > 0)
        {
            return ErrorReport.WriteUsage(context.Error, $"{ParseErrorText.Describe(parseResult)} (see '{ParseErrorText.CommandPath(parseResult)} --help')");
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
}
