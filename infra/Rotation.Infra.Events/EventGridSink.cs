using System.Text;
using Azure;
using Azure.Core;
using Azure.Messaging.EventGrid;
using Rotation.Core.Events;
using Rotation.Core.Ports;
using Rotation.Core.Serialization;

namespace Rotation.Infra.Events;

/// <summary>
/// Publishes to an Event Grid topic created with the CloudEvents 1.0 input schema, through EventGridPublisherClient
/// (POST {topic}?api-version=2018-01-01, application/cloudevents-batch+json; Azure/azure-rest-api-specs
/// specification/eventgrid/data-plane/EventGrid/stable/2018-01-01/EventGrid.json, "PublishCloudEventEvents").
/// The outbox JSON is sent as encoded, so ids and every attribute are exactly what the outbox holds.
/// </summary>
public sealed class EventGridSink : IEventSink
{
    private readonly EventGridPublisherClient _client;
    private readonly TimeProvider _time;

    /// <summary>Managed identity / DefaultAzureCredential: the identity needs "EventGrid Data Sender" on the topic.</summary>
    public EventGridSink(Uri topicEndpoint, TokenCredential credential, EventGridPublisherClientOptions? options = null, TimeProvider? time = null)
        : this(topicEndpoint, new EventGridPublisherClient(topicEndpoint, credential, WithoutSdkRetries(options)), time)
    {
    }

    /// <summary>A topic access key (sent as aeg-sas-key).</summary>
    public EventGridSink(Uri topicEndpoint, AzureKeyCredential key, EventGridPublisherClientOptions? options = null, TimeProvider? time = null)
        : this(topicEndpoint, new EventGridPublisherClient(topicEndpoint, key, WithoutSdkRetries(options)), time)
    {
    }

    private EventGridSink(Uri topicEndpoint, EventGridPublisherClient client, TimeProvider? time)
    {
        Name = $"eventgrid:{topicEndpoint}";
        _client = client;
        _time = time ?? TimeProvider.System;
    }

    public string Name { get; }

    public async Task SendAsync(IReadOnlyList<CloudEvent> batch, CancellationToken cancellationToken = default)
    {
        var body = Encoding.UTF8.GetBytes(CloudEventJson.SerializeBatch(batch));
        try
        {
            await _client.SendEncodedCloudEventsAsync(body, cancellationToken);
        }
        catch (RequestFailedException ex)
        {
            var retryAfter = ex.GetRawResponse() is { } response && response.Headers.TryGetValue("Retry-After", out var value)
                ? DeliveryStatus.RetryAfter(value, _time.GetUtcNow())
                : null;
            var failure = ex.Status == 0 ? EventDeliveryFailure.Transient : DeliveryStatus.Classify(ex.Status);
            throw new EventDeliveryException(failure, $"{DeliveryStatus.Describe(ex.Status)}: {FirstLine(ex.Message)}", retryAfter, ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or AggregateException or IOException)
        {
            throw new EventDeliveryException(EventDeliveryFailure.Transient, FirstLine(ex.Message), null, ex);
        }
    }

    // The publisher owns retries, so every failed attempt is counted against its rows and parked in time;
    // the SDK retrying underneath would hide them. A caller may still pass its own Retry settings.
    private static EventGridPublisherClientOptions WithoutSdkRetries(EventGridPublisherClientOptions? options)
    {
        if (options is not null)
        {
            return options;
        }

        var defaults = new EventGridPublisherClientOptions();
        defaults.Retry.MaxRetries = 0;
        return defaults;
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
