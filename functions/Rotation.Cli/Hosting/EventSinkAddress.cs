using Rotation.Infra.Composition;

namespace Rotation.Cli;

/// <summary>
/// "eventgrid:https://TOPIC.REGION-1.eventgrid.azure.net/api/events" or "webhook:https://…": where `rotation events publish`
/// sends the outbox. Event Grid authenticates with the topic key in ROTATION_EVENTGRID_KEY when set, else with
/// the process's one credential (AZURE_CLIENT_ID's managed identity, else DefaultAzureCredential; the identity needs
/// EventGrid Data Sender on the topic).
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

    /// <summary>Writes the sink <paramref name="setting"/> names into <paramref name="settings"/> (the shared composition builds it).</summary>
    public static void Apply(AdapterSetting setting, CliContext context, RotationAdapterSettings settings)
    {
        var (scheme, url) = Parse(setting.Value, setting.Source);
        if (scheme == "eventgrid")
        {
            settings.Events = RotationAdapterSettings.EventGridEvents;
            settings.EventGridTopicEndpoint = url.ToString();
            settings.EventGridKey = context.Environment(EventGridKeyVariable) is { Length: > 0 } key ? key : null;
        }
        else
        {
            settings.Events = RotationAdapterSettings.WebhookEvents;
            settings.WebhookUrl = url.ToString();
            settings.WebhookOrigin = context.Environment(WebhookOriginVariable) is { Length: > 0 } origin ? origin : "rotation.local";
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
