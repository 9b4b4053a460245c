using System.Net.Http.Headers;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.Http;
using CloudNative.CloudEvents.SystemTextJson;
using Rotation.Core.Ports;
using OutboxEvent = Rotation.Core.Events.CloudEvent;

namespace Rotation.Infra.Events;

/// <summary>
/// Delivers to a CloudEvents HTTP webhook through the CNCF CloudEvents SDK: structured mode (application/cloudevents+json)
/// or batched (application/cloudevents-batch+json). Before the first delivery it asks for consent with the abuse-protection
/// handshake of the CloudEvents HTTP webhook spec (v1.0 §4): OPTIONS with WebHook-Request-Origin, and the receiver must
/// answer WebHook-Allowed-Origin with our origin or "*"; without consent nothing is sent.
/// </summary>
public sealed class WebhookSink : IEventSink, IDisposable
{
    private static readonly JsonEventFormatter Formatter = new();
    private readonly HttpClient _http;
    private readonly bool _ownsClient;
    private readonly WebhookSinkOptions _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _handshakeGate = new(1, 1);
    private bool _consented;

    /// <param name="http">Optional: a client whose handler decides TLS trust (tests pass one that trusts only their CA).</param>
    public WebhookSink(WebhookSinkOptions options, HttpClient? http = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _ownsClient = http is null;
        _http = http ?? new HttpClient();
        _time = time ?? TimeProvider.System;
        Name = $"webhook:{options.Endpoint}";
    }

    public string Name { get; }

    private Uri Endpoint => _options.Endpoint!;

    public async Task SendAsync(IReadOnlyList<OutboxEvent> batch, CancellationToken cancellationToken = default)
    {
        await EnsureConsentAsync(cancellationToken);
        var events = batch.Select(ToCloudEvent).ToList();
        if (_options.Batched)
        {
            await PostAsync(events.ToHttpContent(Formatter), cancellationToken);
            return;
        }

        foreach (var cloudEvent in events)
        {
            await PostAsync(cloudEvent.ToHttpContent(ContentMode.Structured, Formatter), cancellationToken);
        }
    }

    private async Task EnsureConsentAsync(CancellationToken cancellationToken)
    {
        if (_consented)
        {
            return;
        }

        await _handshakeGate.WaitAsync(cancellationToken);
        try
        {
            if (_consented)
            {
                return;
            }

            using var request = new HttpRequestMessage(HttpMethod.Options, Endpoint);
            request.Headers.Add("WebHook-Request-Origin", _options.Origin);
            using var response = await SendWithTimeoutAsync(request, cancellationToken);
            var allowed = response.Headers.TryGetValues("WebHook-Allowed-Origin", out var values) ? values.FirstOrDefault() : null;
            if (allowed == "*" || string.Equals(allowed, _options.Origin, StringComparison.OrdinalIgnoreCase))
            {
                _consented = true;
                return;
            }

            var failure = (int)response.StatusCode >= 500 || (int)response.StatusCode == 429 ? EventDeliveryFailure.Transient : EventDeliveryFailure.Refused;
            throw new EventDeliveryException(
                failure,
                allowed is null
                    ? $"the webhook did not consent to deliveries from '{_options.Origin}' (OPTIONS answered {DeliveryStatus.Describe((int)response.StatusCode)} without WebHook-Allowed-Origin)"
                    : $"the webhook allows origin '{allowed}', not '{_options.Origin}': set the sender origin it expects");
        }
        finally
        {
            _handshakeGate.Release();
        }
    }

    private async Task PostAsync(HttpContent content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Endpoint) { Content = content };
        request.Headers.TryAddWithoutValidation("Origin", _options.Origin);
        using var response = await SendWithTimeoutAsync(request, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var status = (int)response.StatusCode;
        throw new EventDeliveryException(
            DeliveryStatus.Classify(status),
            $"the webhook answered {DeliveryStatus.Describe(status)}",
            RetryAfter(response.Headers.RetryAfter));
    }

    private async Task<HttpResponseMessage> SendWithTimeoutAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        try
        {
            return await _http.SendAsync(request, timeout.Token);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new EventDeliveryException(EventDeliveryFailure.Transient, $"no answer within {_options.Timeout.TotalSeconds:0} s", null, ex);
        }
        catch (HttpRequestException ex)
        {
            throw new EventDeliveryException(EventDeliveryFailure.Transient, ex.Message, null, ex);
        }
    }

    private TimeSpan? RetryAfter(RetryConditionHeaderValue? header) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } when date > _time.GetUtcNow() => date - _time.GetUtcNow(),
        _ => null,
    };

    internal static CloudEvent ToCloudEvent(OutboxEvent outbox)
    {
        var cloudEvent = new CloudEvent(CloudEventsSpecVersion.V1_0)
        {
            Id = outbox.Id,
            Source = new Uri(outbox.Source, UriKind.RelativeOrAbsolute),
            Type = outbox.Type,
            Time = outbox.Time,
            DataContentType = OutboxEvent.DataContentType,
            Data = outbox.Data,
        };
        if (outbox.Subject.Length > 0)
        {
            cloudEvent.Subject = outbox.Subject;
        }

        return cloudEvent;
    }

    public void Dispose()
    {
        _handshakeGate.Dispose();
        if (_ownsClient)
        {
            _http.Dispose();
        }
    }
}
