using System.CommandLine;
using System.Runtime.InteropServices;
using Rotation.Cli.Commands;

namespace Rotation.Cli;

/// <summary>Parses, runs, and turns every failure into one line and an exit code (and, with --json, an error object on stdout).</summary>
public static class CliApp
{
    /// <summary>How long a command may take to unwind after SIGINT or SIGTERM before the process exits regardless.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(4);

    /// <summary>
    /// The real process: as <see cref="RunAsync(string[], CliContext, CancellationToken)"/>, stopped by SIGINT or
    /// SIGTERM within <see cref="StopGrace"/> with exit 128 + the signal's number.
    /// </summary>
    public static Task<int> RunAsync(string[] args, CliContext context, TerminationSignals signals)
    {
        ArgumentNullException.ThrowIfNull(signals);
        return BoundBySignalAsync(RunAsync(args, context, signals.Token), context, signals.Received, StopGrace);
    }

    /// <summary>
    /// Waits for <paramref name="command"/>, or after <paramref name="received"/> for at most <paramref name="grace"/>
    /// (tests give a command that cannot unwind in time).
    /// </summary>
    internal static async Task<int> BoundBySignalAsync(Task<int> command, CliContext context, Task<PosixSignal> received, TimeSpan grace)
    {
        if (await Task.WhenAny(command, received) == command)
        {
            return await command;
        }

        var signal = await received;
        var unwound = await Task.WhenAny(command, Task.Delay(grace)) == command;
        if (unwound && await command == ExitCodes.Ok)
        {
            // A command whose normal end is a signal (metrics --listen) stopped cleanly.
            return ExitCodes.Ok;
        }

        if (!unwound)
        {
            foreach (var left in await context.Throwaway.DeleteAllAsync())
                context.Error.WriteLine($"warning: could not remove {left}; delete it by hand");
        }

        context.Error.WriteLine(unwound
            ? $"error: stopped by {TerminationSignals.NameOf(signal)} before the command finished; every step is resumable: run it again (a rotation continues with 'rotation resume ID', see 'rotation status')"
            : $"error: stopped by {TerminationSignals.NameOf(signal)}; the command did not unwind within {grace.TotalSeconds:0} s, so the process exits now; run it again (a rotation continues with 'rotation resume ID', see 'rotation status')");
        return TerminationSignals.ExitCodeFor(signal);
    }

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
            context.Flags = AdapterOptions.Read(parseResult);
            // The drill reads its adapters from flags only (DrillAdapters): a bad ROTATION_* value is not its business.
            if (parseResult.CommandResult.Command.Name == Commands.DrillCommand.Name)
            {
                AdapterSettings.ValidateFlags(context);
            }
            else
            {
                AdapterSettings.ValidateFlagsAndEnvironment(context);
            }
            return await parseResult.InvokeAsync(
                new InvocationConfiguration
                {
                    Output = context.Output,
                    Error = context.Error,
                    EnableDefaultExceptionHandler = false,
                    // Signals are the process's business (TerminationSignals), not the parser's: its handler returns
                    // after 2 s while the command still runs, so nothing unwound (children, throwaway homes) was awaited.
                    ProcessTerminationTimeout = null,
                },
                cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Whoever cancelled (a signal) says so, in one line.
            return ExitCodes.Error;
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
