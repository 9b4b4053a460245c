namespace Rotation.Infra.Events;

/// <summary>A plain CloudEvents HTTP webhook (for teams without Event Grid).</summary>
public sealed class WebhookSinkOptions
{
    public Uri? Endpoint { get; set; }

    /// <summary>Batched JSON (application/cloudevents-batch+json) when true, one structured event per request when false.</summary>
    public bool Batched { get; set; } = true;

    /// <summary>Sent as WebHook-Request-Origin in the abuse-protection handshake and as Origin on deliveries: the sender's DNS name.</summary>
    public string Origin { get; set; } = "rotation.local";

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    public void Validate()
    {
        if (Endpoint is null || !Endpoint.IsAbsoluteUri || (Endpoint.Scheme != Uri.UriSchemeHttps && Endpoint.Scheme != Uri.UriSchemeHttp))
        {
            throw new ArgumentException("the webhook sink needs an absolute http(s) URL");
        }

        if (string.IsNullOrWhiteSpace(Origin))
        {
            throw new ArgumentException("the webhook sink needs an origin (the sender's DNS name) for the abuse-protection handshake");
        }
    }
}
