using System.CommandLine;
using Rotation.Cli.Output;
using Rotation.Cli.Parsing;
using Rotation.Core.Authorities.External;
using Rotation.Core.Events;
using Rotation.Core.Serialization;
using Rotation.Infra.Kubernetes.Clusters;
using Spectre.Console;

namespace Rotation.Cli.Commands;

/// <summary>
/// rotation scan: applies the expiry policy and appends CloudEvents to the outbox for CAs that need attention. With
/// --bundle FILE or --cluster NAME it judges certificates Rotation does not manage instead, each as the layer it is
/// (<see cref="CertificateLayers"/>), and adopts nothing.
/// </summary>
internal static class ScanCommand
{
    public static Command Create(CliContext context, Option<string?> home)
    {
        var at = CliOptions.At("Scan as of this instant (ISO 8601; default now)");
        var json = CliOptions.Json();
        var bundle = new Option<string?>("--bundle") { Description = "Scan the certificates in this PEM file (any CAs and leaves, managed or not) instead of the domains' CAs", HelpName = "FILE" };
        var cluster = new Option<string?>("--cluster") { Description = "Scan what this registered cluster holds and exposes (CA objects, istio-ca-root-cert copies, cert-manager Certificate secrets) instead of the domains' CAs", HelpName = "NAME" };
        var command = new Command("scan", "Check every CA against the expiry policy and record events for those that need attention") { at, json, bundle, cluster };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var bundleFile = parseResult.GetValue(bundle);
            var clusterName = parseResult.GetValue(cluster);
            if (bundleFile is not null && clusterName is not null)
            {
                throw new UsageException("--bundle and --cluster scan different things: pass one of them (or neither, for the domains' CAs)");
            }

            var services = await CliServices.OpenExistingAsync(context, parseResult.GetValue(home), cancellationToken);
            var instant = parseResult.GetValue(at) ?? context.Time.GetUtcNow();
            if (bundleFile is not null || clusterName is not null)
            {
                return await ScanExternalAsync(context, services, bundleFile, clusterName, instant, parseResult.GetValue(json), cancellationToken);
            }

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

    private static async Task<int> ScanExternalAsync(
        CliContext context, CliServices services, string? bundleFile, string? clusterName, DateTimeOffset instant, bool json, CancellationToken cancellationToken)
    {
        ExternalScope scope;
        IReadOnlyList<FoundCertificate> found;
        IReadOnlyList<string> problems = [];
        if (bundleFile is not null)
        {
            scope = ExternalScope.Bundle;
            found = BundleCertificates.Read(bundleFile);
        }
        else
        {
            var (registration, certificates, unread) = await services.Clusters.ReadCertificatesAsync(clusterName!, new ClusterConnectionFactory(timeProvider: context.Time), cancellationToken);
            scope = ExternalScope.OfCluster(registration.Name, registration.Domain);
            found = certificates;
            problems = unread;
        }

        var result = await services.Authorities.ScanExternalAsync(scope, found, problems, instant, cancellationToken: cancellationToken);
        foreach (var problem in result.Problems)
        {
            context.Error.WriteLine($"warning: {problem}");
        }

        if (json)
        {
            context.Output.WriteLine(CloudEventJson.SerializeBatch(result.Events));
        }
        else
        {
            ExternalScanTable.Render(Consoles.For(context), instant, result);
        }

        return ExitCodes.Ok;
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
