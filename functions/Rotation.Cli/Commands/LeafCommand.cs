using System.CommandLine;
using System.Text.Json;
using Rotation.Cli.Output;
using Rotation.Cli.Parsing;
using Spectre.Console;

namespace Rotation.Cli.Commands;

/// <summary>
/// rotation leaf list|forget: the leaves 'rotation issue-leaf' recorded. A live one holds the leaf gate of a rotation
/// that would leave its CA; 'forget' is the operator's explicit word that nobody presents it any more.
/// </summary>
internal static class LeafCommand
{
    public static Command Create(CliContext context, Option<string?> home) =>
        new("leaf", "The leaves 'rotation issue-leaf' recorded: list them, or forget one no longer in use so the leaf gate stops holding on it")
        {
            List(context, home),
            Forget(context, home),
        };

    private static Command List(CliContext context, Option<string?> home)
    {
        var domain = CliOptions.Domain();
        var json = CliOptions.Json();
        var command = new Command("list", "List recorded leaves: serial, subject, SANs, issuer, notAfter, file, and whether each is live") { domain, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var services = CliServices.OpenReadOnly(context, parseResult.GetValue(home));
            var leaves = await services.Authorities.ListIssuedLeavesAsync(parseResult.GetValue(domain), cancellationToken);
            var now = context.Time.GetUtcNow();
            if (parseResult.GetValue(json))
            {
                context.Output.WriteLine(JsonSerializer.Serialize(leaves, CliJson.Records));
                return ExitCodes.Ok;
            }

            var console = Consoles.For(context);
            if (leaves.Count == 0)
            {
                console.MarkupLine("No leaves recorded. 'rotation issue-leaf' records each leaf it issues.");
                return ExitCodes.Ok;
            }

            new FittingTable<Core.Domain.IssuedLeaf>(["Serial", "Subject", "SANs", "Issuer", "Not after", "State", "File"], (leaf, column) => column switch
            {
                "Serial" => Markup.Escape(leaf.Serial),
                "Subject" => Markup.Escape(leaf.Subject),
                "SANs" => Markup.Escape(string.Join(", ", leaf.SubjectAlternativeNames)),
                "Issuer" => Markup.Escape(leaf.IssuerId),
                "Not after" => TimeText.Instant(leaf.NotAfter),
                "State" => Markup.Escape(leaf.ForgottenAt is { } at ? $"forgotten {TimeText.Instant(at)} by {leaf.ForgottenBy}"
                    : leaf.NotAfter <= now ? "expired"
                    : $"live ({TimeText.Left(leaf.NotAfter - now)} left)"),
                _ => Markup.Escape(leaf.OutputPath),
            })
            {
                Expendable = ["File", "Subject", "Issuer"],
                Wrappable = ["SANs", "State"],
            }.Write(console, leaves);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Forget(CliContext context, Option<string?> home)
    {
        var serial = new Argument<string>("SERIAL") { Description = "The leaf's serial number, as 'rotation leaf list' shows it" };
        var domain = CliOptions.Domain();
        var by = ActorOption.Create("Who states that the leaf is no longer in use, recorded with it");
        var json = CliOptions.Json();
        var command = new Command("forget", "Stop holding the leaf gate on a recorded leaf: say that nobody presents it any more (the record stays, marked forgotten)") { serial, domain, by, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var services = await CliServices.OpenExistingAsync(context, parseResult.GetValue(home), cancellationToken);
            var leaf = await services.Authorities.ForgetIssuedLeafAsync(
                parseResult.GetValue(domain), parseResult.GetValue(serial)!, ActorOption.ValueOf(parseResult, by, context), cancellationToken);
            if (parseResult.GetValue(json))
            {
                context.Output.WriteLine(JsonSerializer.Serialize(leaf, CliJson.Records));
                return ExitCodes.Ok;
            }

            Consoles.For(context).MarkupLineInterpolated(
                $"Forgot leaf {leaf.Serial} ({leaf.Subject}, valid until {TimeText.Instant(leaf.NotAfter)}) as {leaf.ForgottenBy}: the leaf gate no longer holds on it. If it is still presented somewhere, peers will reject it once its CA is retired.");
            return ExitCodes.Ok;
        });
        return command;
    }
}
