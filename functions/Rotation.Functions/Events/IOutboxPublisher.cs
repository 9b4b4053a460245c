using Rotation.Core.Events;

namespace Rotation.Functions.Events;

/// <summary>
/// Drains the store's outbox for the PublishEvents timer: <see cref="OutboxDrain"/> over the configured sink
/// (Rotation__Events = eventgrid | webhook), else <see cref="UnconfiguredOutboxPublisher"/>.
/// </summary>
public interface IOutboxPublisher
{
    /// <summary>Publishes pending outbox events; returns what the run did.</summary>
    Task<PublishReport> PublishPendingAsync(CancellationToken cancellationToken);
}
