using System.CommandLine;
using Rotation.Cli.Parsing;

namespace Rotation.Cli.Commands;

/// <summary>rotation resume ID: carry a parked rotation on from where its record says it is.</summary>
internal static class ResumeCommand
{
    public static Command Create(CliContext context, Option<string?> home)
    {
        var id = RotationOptions.Id();
        var wait = RotationOptions.Wait();
        var json = CliOptions.Json();
        var command = new Command("resume", "Continue a rotation after an approval, a parked gate or a crash") { id, wait.Option, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var services = await CliServices.OpenExistingAsync(context, parseResult.GetValue(home), cancellationToken);
            var rotationId = parseResult.GetValue(id)!;
            _ = await services.Rotations.FindAsync(rotationId, cancellationToken)
                ?? throw new Core.Domain.DomainException($"no rotation '{rotationId}': list rotations with 'rotation status'");
            return await RotationRun.DriveAsync(context, services, rotationId, wait.ValueOf(parseResult), parseResult.GetValue(json), cancellationToken);
        });
        return command;
    }
}
