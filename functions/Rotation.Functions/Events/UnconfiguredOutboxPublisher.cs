using Microsoft.Extensions.Logging;
using Rotation.Core.Events;
using Rotation.Core.Ports;

namespace Rotation.Functions.Events;

/// <summary>
/// Stands in while no event sink is configured (Rotation__Events = none): it publishes nothing, and says so with how many events
/// are waiting, so a deployment without a publisher is visible in the logs instead of silently piling up.
/// </summary>
public sealed partial class UnconfiguredOutboxPublisher(IStateStore store, ILogger<UnconfiguredOutboxPublisher> logger) : IOutboxPublisher
{
    public async Task<PublishReport> PublishPendingAsync(CancellationToken cancellationToken)
    {
        var pending = await store.ReadOutboxAsync(unpublishedOnly: true, max: 1000, cancellationToken);
        if (pending.Count > 0)
        {
            LogNoPublisher(logger, pending.Count);
        }

        return new PublishReport(0, 0, 0, 0, false, null);
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "No event sink is configured (Rotation__Events is none): {Pending} event(s) stay in the outbox")]
    private static partial void LogNoPublisher(ILogger logger, int pending);
}
