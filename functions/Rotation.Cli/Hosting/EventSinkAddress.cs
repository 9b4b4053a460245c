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

    /// <summary>--events / ROTATION_EVENTS / the home's "events": checked at start, opened only by `events publish`.</summary>
    public static void Check(AdapterSetting? setting)
    {
        if (setting is not null)
        {
            Parse(setting.Value, setting.Source);
        }
    }

    public static IEventSink Open(string address, CliContext context, string source = "--to")
    {
        var (scheme, url) = Parse(address, source);
        switch (scheme)
        {
            case "eventgrid":
                return context.Environment(EventGridKeyVariable) is { Length: > 0 } key
                    ? new EventGridSink(url, new AzureKeyCredential(key), time: context.Time)
                    : new EventGridSink(url, new DefaultAzureCredential(), time: context.Time);
            case "webhook":
                return new WebhookSink(
                    new WebhookSinkOptions { Endpoint = url, Origin = context.Environment(WebhookOriginVariable) is { Length: > 0 } origin ? origin : "rotation.local" },
                    time: context.Time);
            default:
                throw new UsageException($"{source} '{address}' is not eventgrid:URL or webhook:URL");
        }
    }

    private static (string Scheme, Uri Url) Parse(string address, string source)
    {
        var (scheme, rest) = Addresses.Split(address);
        if (scheme is not ("eventgrid" or "webhook"))
        {
            throw new UsageException($"{source} '{address}' is not eventgrid:URL or webhook:URL (unknown event sink '{scheme}')");
        }

        if (!Uri.TryCreate(rest, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp) || string.IsNullOrEmpty(url.Host))
        {
            throw new UsageException($"{source} '{address}' is not eventgrid:URL or webhook:URL with an http(s) URL");
        }

        if (scheme == "eventgrid" && url.Scheme != Uri.UriSchemeHttps)
        {
            throw new UsageException($"{source} '{address}': an Event Grid topic endpoint is https");
        }

        return (scheme, url);
    }
}
