using System.CommandLine;
using Rotation.Cli.Output;
using Rotation.Cli.Parsing;
using Rotation.Core.Domain;

namespace Rotation.Cli.Commands;

/// <summary>rotation status [ID]: every rotation, or one in detail (phases, targets, gate, approvals).</summary>
internal static class StatusCommand
{
    public static Command Create(CliContext context, Option<string?> home)
    {
        var id = new Argument<string?>("ID") { Description = "A rotation id; omit it to list every rotation", Arity = ArgumentArity.ZeroOrOne };
        var domain = CliOptions.Domain();
        var json = CliOptions.Json();
        var command = new Command("status", "Show rotations and their progress") { id, domain, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var services = CliServices.OpenReadOnly(context, parseResult.GetValue(home));
            var rotationId = parseResult.GetValue(id);
            if (rotationId is null)
            {
                var records = await services.Rotations.ListAsync(parseResult.GetValue(domain), cancellationToken);
                if (parseResult.GetValue(json))
                {
                    context.Output.WriteLine(RotationStatusJson.Many(records, context.Time.GetUtcNow()));
                }
                else
                {
                    RotationView.RenderList(Consoles.For(context), records, context.Time.GetUtcNow());
                }

                return ExitCodes.Ok;
            }

            var record = await services.Rotations.FindAsync(rotationId, cancellationToken)
                ?? throw new DomainException($"no rotation '{rotationId}': list rotations with 'rotation status'");
            if (parseResult.GetValue(json))
            {
                context.Output.WriteLine(RotationStatusJson.One(record, context.Time.GetUtcNow()));
            }
            else
            {
                RotationView.RenderDetail(Consoles.For(context), record, context.Time.GetUtcNow());
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
