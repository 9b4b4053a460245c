using Azure;
using Azure.Identity;
using Rotation.Core.Ports;
using Rotation.Infra.Events;

namespace Rotation.Cli;

/// <summary>
/// "eventgrid:https://TOPIC.REGION-1.eventgrid.azure.net/api/events" or "webhook:https://…": where `rotation events publish`
/// sends the outbox. Event Grid authenticates with the topic key in ROTATION_EVENTGRID_KEY when set, else with
/// DefaultAzureCredential (the identity needs EventGrid Data Sender on the topic).
/// </summary>
internal static class EventSinkAddress
{
    public const string EventGridKeyVariable = "ROTATION_EVENTGRID_KEY";
    public const string WebhookOriginVariable = "ROTATION_WEBHOOK_ORIGIN";

    public static IEventSink Open(string address, CliContext context)
    {
        var colon = address.IndexOf(':', StringComparison.Ordinal);
        var scheme = colon < 0 ? string.Empty : address[..colon];
        var rest = colon < 0 ? string.Empty : address[(colon + 1)..];
        if (!Uri.TryCreate(rest, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            throw new UsageException($"--to '{address}' is not eventgrid:URL or webhook:URL with an http(s) URL");
        }

        switch (scheme)
        {
            case "eventgrid":
                if (url.Scheme != Uri.UriSchemeHttps)
                {
                    throw new UsageException($"--to '{address}': an Event Grid topic endpoint is https");
                }

                return context.Environment(EventGridKeyVariable) is { Length: > 0 } key
                    ? new EventGridSink(url, new AzureKeyCredential(key), time: context.Time)
                    : new EventGridSink(url, new DefaultAzureCredential(), time: context.Time);
            case "webhook":
                return new WebhookSink(
                    new WebhookSinkOptions { Endpoint = url, Origin = context.Environment(WebhookOriginVariable) is { Length: > 0 } origin ? origin : "rotation.local" },
                    time: context.Time);
            default:
                throw new UsageException($"--to '{address}' is not eventgrid:URL or webhook:URL");
        }
    }
}
