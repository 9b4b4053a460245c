using System.CommandLine;
using Rotation.Cli.Commands;

namespace Rotation.Cli;

/// <summary>Parses, runs, and turns every failure into one line and an exit code (and, with --json, an error object on stdout).</summary>
public static class CliApp
{
    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        var json = JsonErrorReport.Requested(args);

        // Bare `rotation` is someone finding their way: show them the commands rather than an error.
        var parseResult = CommandTree.Create(context).Parse(args.Length == 0 ? ["--help"] : args);
        if (parseResult.Errors.Count > 0)
        {
            var usage = $"{ParseErrorText.Describe(parseResult)} (see '{ParseErrorText.CommandPath(parseResult)} --help')";
            if (json)
            {
                JsonErrorReport.Write(context.Output, ExitCodes.Usage, ErrorReport.Line(usage));
            }

            return ErrorReport.WriteUsage(context.Error, usage);
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
            if (json)
            {
                var (code, line) = ErrorReport.Describe(exception);
                JsonErrorReport.Write(context.Output, code, line);
            }

            return ErrorReport.Write(context.Error, exception);
        }
    }
}
