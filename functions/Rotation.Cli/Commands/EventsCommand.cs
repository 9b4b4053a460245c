using System.CommandLine;
using System.Text.Json;
using Rotation.Cli.Output;
using Rotation.Cli.Parsing;
using Rotation.Core.Events;
using Rotation.Core.Ports;
using Rotation.Core.Serialization;
using Spectre.Console;

namespace Rotation.Cli.Commands;

/// <summary>rotation events [--pending|--failed] [--json]; rotation events publish --to …; rotation events requeue ID…</summary>
internal static class EventsCommand
{
    private static readonly JsonSerializerOptions RowJson = new(JsonSerializerDefaults.Web);

    public static Command Create(CliContext context, Option<string?> home)
    {
        var pending = new Option<bool>("--pending") { Description = "Only events not delivered yet (and not parked)" };
        var failed = new Option<bool>("--failed") { Description = "Only undelivered events whose delivery failed (parked or still retried)" };
        var json = CliOptions.Json();
        var command = new Command("events", "Show the event outbox: what Rotation recorded and what was delivered")
        {
            pending, failed, json,
            Publish(context, home),
            Requeue(context, home),
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            if (parseResult.GetValue(pending) && parseResult.GetValue(failed))
            {
                throw new UsageException("--pending and --failed exclude each other: pick one");
            }

            var services = await CliServices.OpenExistingAsync(context, parseResult.GetValue(home), cancellationToken);
            var rows = (await services.Store.ReadOutboxAsync(unpublishedOnly: parseResult.GetValue(pending), cancellationToken: cancellationToken))
                .Where(e => !parseResult.GetValue(failed) || e.HasFailed)
                .ToList();
            if (parseResult.GetValue(json))
            {
                context.Output.WriteLine(JsonSerializer.Serialize(rows.Select(Row), RowJson));
            }
            else
            {
                Render(Consoles.For(context), rows);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Publish(CliContext context, Option<string?> home)
    {
        var to = new Option<string>("--to")
        {
            Description = "eventgrid:TOPIC_ENDPOINT (key in ROTATION_EVENTGRID_KEY, else DefaultAzureCredential) or webhook:URL (CloudEvents HTTP)",
            HelpName = "SINK",
        };
        var watch = new Option<bool>("--watch") { Description = "Keep publishing new events until interrupted" };
        var interval = CliOptions.Duration("--interval", "With --watch: the pause between runs", "30s");
        var json = CliOptions.Json();
        var command = new Command("publish", "Deliver pending events, at least once, with their ids unchanged (--json --watch: one JSON object per line per run)") { to, watch, interval.Option, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            // --to, else --events / ROTATION_EVENTS / the home's "events".
            var target = parseResult.GetValue(to) is { Length: > 0 } address ? new AdapterSetting(address, "--to") : null;
            var services = await CliServices.OpenExistingAsync(context, parseResult.GetValue(home), target, cancellationToken);
            var sink = services.EventSink
                ?? throw new UsageException($"events publish needs a sink: --to eventgrid:URL|webhook:URL, or --events, ${AdapterSettings.EventsVariable} or \"events\" in HOME/{AdapterSettings.ConfigFileName}");
            try
            {
                var publisher = services.Publisher!;
                if (parseResult.GetValue(watch))
                {
                    try
                    {
                        await publisher.WatchAsync(interval.ValueOf(parseResult), report => Report(context, sink, report, parseResult.GetValue(json), watching: true), cancellationToken);
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                    }

                    return ExitCodes.Ok;
                }

                var result = await publisher.PublishPendingAsync(cancellationToken);
                Report(context, sink, result, parseResult.GetValue(json), watching: false);
                return result.Stopped ? ExitCodes.Error : ExitCodes.Ok;
            }
            finally
            {
                (sink as IDisposable)?.Dispose();
            }
        });
        return command;
    }

    private static Command Requeue(CliContext context, Option<string?> home)
    {
        var ids = new Argument<string[]>("ID") { Description = "Parked event ids to try again", Arity = ArgumentArity.OneOrMore };
        var json = CliOptions.Json();
        var command = new Command("requeue", "Put parked events back in the queue (attempts reset)") { ids, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var services = await CliServices.OpenExistingAsync(context, parseResult.GetValue(home), cancellationToken);
            var wanted = parseResult.GetValue(ids)!;
            var parked = (await services.Store.ReadOutboxAsync(cancellationToken: cancellationToken))
                .Where(e => e.ParkedAt is not null && e.PublishedAt is null).Select(e => e.Event.Id).ToHashSet();
            var unknown = wanted.Where(id => !parked.Contains(id)).ToList();
            if (unknown.Count > 0)
            {
                throw new Core.Domain.DomainException($"not parked: {string.Join(", ", unknown)}: list parked events with 'rotation events --failed'");
            }

            await services.Store.RequeueAsync(wanted, cancellationToken);
            if (parseResult.GetValue(json))
            {
                CliJson.Write(context.Output, new { requeued = wanted });
                return ExitCodes.Ok;
            }

            context.Output.WriteLine($"{wanted.Length} event(s) back in the queue.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Report(CliContext context, IEventSink sink, PublishReport report, bool json, bool watching)
    {
        if (json)
        {
            var body = new { sink = sink.Name, report.Delivered, report.Requests, report.FailedAttempts, report.Parked, report.Stopped, report.LastError };
            // Under --watch every run is one line (JSON Lines), so a reader can take them one at a time.
            context.Output.WriteLine(watching ? JsonSerializer.Serialize(body, RowJson) : JsonSerializer.Serialize(body, CliJson.Options));
            return;
        }

        var line = $"{report.Delivered} delivered to {sink.Name} in {report.Requests} request(s), {report.FailedAttempts} failed attempt(s), {report.Parked} parked";
        context.Output.WriteLine(report.Stopped ? $"{line}; stopped: {report.LastError} (the rest stays pending)" : line);
    }

    private static object Row(OutboxEntry entry) => new
    {
        sequence = entry.Sequence,
        state = State(entry),
        publishedAt = entry.PublishedAt,
        attempts = entry.Attempts,
        lastError = entry.LastError,
        lastAttemptAt = entry.LastAttemptAt,
        parkedAt = entry.ParkedAt,
        @event = JsonDocument.Parse(CloudEventJson.Serialize(entry.Event)).RootElement,
    };

    private static string State(OutboxEntry entry) =>
        entry.PublishedAt is not null ? "delivered" : entry.ParkedAt is not null ? "parked" : entry.Attempts > 0 ? "retrying" : "pending";

    private static void Render(IAnsiConsole console, IReadOnlyList<OutboxEntry> rows)
    {
        if (rows.Count == 0)
        {
            console.MarkupLine("No events.");
            return;
        }

        new FittingTable<OutboxEntry>(["Seq", "State", "Type", "Subject", "Time", "Attempts", "Last error", "Id"], (row, column) => column switch
        {
            "Seq" => row.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "State" => State(row),
            "Type" => Markup.Escape(row.Event.Type),
            "Subject" => Markup.Escape(row.Event.Subject),
            "Time" => TimeText.Instant(row.Event.Time),
            "Attempts" => row.Attempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "Last error" => Markup.Escape(row.LastError ?? string.Empty),
            _ => Markup.Escape(row.Event.Id),
        })
        {
            Expendable = ["Attempts", "Time", "Subject"],
            Wrappable = ["Last error", "Type"],
        }.Write(console, rows);
        console.MarkupLineInterpolated($"{rows.Count} event(s): {rows.Count(r => r.PublishedAt is not null)} delivered, {rows.Count(r => r.IsPending)} pending, {rows.Count(r => r.ParkedAt is not null && r.PublishedAt is null)} parked.");
    }
}
