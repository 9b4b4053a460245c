namespace Rotation.Functions.Events;

/// <summary>
/// Drains the store's outbox to Event Grid. The seam for the Event Grid publisher of the Azure adapters
/// (issue 8): register it as this interface and the PublishEvents timer uses it.
/// </summary>
public interface IOutboxPublisher
{
    /// <summary>Publishes pending outbox events; returns how many were published.</summary>
    Task<int> PublishPendingAsync(CancellationToken cancellationToken);
}
