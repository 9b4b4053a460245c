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
        var command = new Command("approve", "Approve a phase of a rotation (default: the current one)") { id, phase };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var services = CliServices.OpenExisting(context, parseResult.GetValue(home));
            var requested = parseResult.GetValue(phase);
            var record = await services.Rotations.ApproveAsync(parseResult.GetValue(id)!, requested, context.User, cancellationToken);
            var approved = requested ?? record.Approvals[^1].Phase;
            Consoles.For(context).MarkupLineInterpolated($"Approved {approved} of {record.Id} as {context.User}. Run 'rotation resume {record.Id}' to continue.");
            return ExitCodes.Ok;
        });
        return command;
    }
}
