using System.CommandLine;
using Rotation.Cli.Output;
using Rotation.Cli.Parsing;
using Spectre.Console;

namespace Rotation.Cli.Commands;

/// <summary>rotation abort ID: unwind a rotation in the same safe order, then drive the unwind.</summary>
internal static class AbortCommand
{
    public static Command Create(CliContext context, Option<string?> home)
    {
        var id = RotationOptions.Id();
        var wait = RotationOptions.Wait();
        var json = CliOptions.Json();
        var command = new Command("abort", "Abort a rotation before its point of no return and unwind it safely") { id, wait.Option, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var services = await CliServices.OpenExistingAsync(context, parseResult.GetValue(home), cancellationToken);
            var record = await services.Rotations.AbortAsync(parseResult.GetValue(id)!, context.User, cancellationToken);
            (parseResult.GetValue(json) ? Consoles.ForProgress(context) : Consoles.For(context)).MarkupLineInterpolated($"Aborting {record.Id}: unwinding {(record.Plan.Count == 0 ? "nothing" : string.Join(", ", record.Plan))}.");
            return await RotationRun.DriveAsync(context, services, record.Id, wait.ValueOf(parseResult), parseResult.GetValue(json), cancellationToken);
        });
        return command;
    }
}
