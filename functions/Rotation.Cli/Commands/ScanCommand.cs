using System.CommandLine;
using Rotation.Cli.Output;
using Rotation.Cli.Parsing;
using Rotation.Core.Events;
using Rotation.Core.Serialization;
using Spectre.Console;

namespace Rotation.Cli.Commands;

/// <summary>rotation scan: applies the expiry policy and appends CloudEvents to the outbox for CAs that need attention.</summary>
internal static class ScanCommand
{
    public static Command Create(CliContext context, Option<string?> home)
    {
        var at = CliOptions.At("Scan as of this instant (ISO 8601; default now)");
        var json = CliOptions.Json();
        var command = new Command("scan", "Check every CA against the expiry policy and record events for those that need attention") { at, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var services = CliServices.OpenExisting(context, parseResult.GetValue(home));
            var instant = parseResult.GetValue(at) ?? context.Time.GetUtcNow();
            var events = await services.Authorities.ScanAsync(instant, cancellationToken: cancellationToken);
            if (parseResult.GetValue(json))
            {
                context.Output.WriteLine(CloudEventJson.SerializeBatch(events));
            }
            else
            {
                Render(Consoles.For(context), instant, events);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Render(IAnsiConsole console, DateTimeOffset at, IReadOnlyList<CloudEvent> events)
    {
        if (events.Count == 0)
        {
            console.MarkupLineInterpolated($"[green]No CA needs attention[/] as of {TimeText.Instant(at)}.");
            return;
        }

        var table = new Table().AddColumns("Event", "Source", "Subject", "Expiry", "Lifetime left", "Id");
        foreach (var cloudEvent in events)
        {
            var data = cloudEvent.Data;
            table.AddRow(
                Markup.Escape(cloudEvent.Type),
                Markup.Escape(cloudEvent.Source),
                Markup.Escape(cloudEvent.Subject),
                Markup.Escape(data.GetProperty("expiryState").GetString() ?? string.Empty),
                TimeText.Percent(data.GetProperty("lifetimeLeftPercent").GetDouble()),
                Markup.Escape(cloudEvent.Id));
        }

        console.Write(table);
        console.MarkupLineInterpolated($"{events.Count} event(s) as of {TimeText.Instant(at)}, recorded in the outbox.");
    }
}
