using System.CommandLine;
using Rotation.Cli.Output;
using Rotation.Cli.Parsing;
using Spectre.Console;

namespace Rotation.Cli.Commands;

/// <summary>rotation approve ID [--phase P]: record an approval; 'rotation resume' then runs the phase.</summary>
internal static class ApproveCommand
{
    public static Command Create(CliContext context, Option<string?> home)
    {
        var id = RotationOptions.Id();
        var phase = RotationOptions.Phase();
        var by = ActorOption.Create("Who approves, recorded in the rotation and its Rotation.PhaseApproved event");
        var json = CliOptions.Json();
        var command = new Command("approve", "Approve a phase that waits for an approval (default: the current one); anything else is refused (exit 3)") { id, phase, by, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var services = await CliServices.OpenExistingAsync(context, parseResult.GetValue(home), cancellationToken);
            var requested = parseResult.GetValue(phase);
            var approver = ActorOption.ValueOf(parseResult, by, context);
            var record = await services.Rotations.ApproveAsync(parseResult.GetValue(id)!, requested, approver, cancellationToken);
            var approved = requested ?? record.Approvals[^1].Phase;
            if (parseResult.GetValue(json))
            {
                context.Output.WriteLine(RotationStatusJson.One(record, context.Time.GetUtcNow()));
                return ExitCodes.Ok;
            }

            Consoles.For(context).MarkupLineInterpolated($"Approved {approved} of {record.Id} as {approver}. Run 'rotation resume {record.Id}' to continue.");
            return ExitCodes.Ok;
        });
        return command;
    }
}
