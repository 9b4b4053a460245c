using Rotation.Core.Events;

namespace Rotation.Core.Ports;

/// <summary>
/// Where outbox events go (an Event Grid topic, a CloudEvents webhook). <see cref="SendAsync"/> delivers one batch
/// as a whole or throws <see cref="EventDeliveryException"/> saying whether to retry.
/// </summary>
public interface IEventSink
{
    /// <summary>For messages: "eventgrid:https://…" or "webhook:https://…".</summary>
    string Name { get; }

    Task SendAsync(IReadOnlyList<CloudEvent> batch, CancellationToken cancellationToken = default);
}

/// <summary>How a delivery failed, which decides what the publisher does next.</summary>
public enum EventDeliveryFailure
{
    /// <summary>Throttled, unavailable, timed out (429, 5xx, 408, a broken connection): back off and retry.</summary>
    Transient,

    /// <summary>The sink refused this content (400, 413): isolate the event and park it.</summary>
    Rejected,

    /// <summary>The sink refused us (401, 403, 404, no webhook consent): stop; retrying will not help until someone fixes the configuration.</summary>
    Refused,
}

public sealed class EventDeliveryException : Exception
{
    public EventDeliveryException(EventDeliveryFailure failure, string message, TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
        RetryAfter = retryAfter;
    }

    public EventDeliveryFailure Failure { get; }

    /// <summary>The sink's Retry-After, when it sent one.</summary>
    public TimeSpan? RetryAfter { get; }
}
