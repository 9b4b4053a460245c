using Microsoft.Extensions.Logging;
using Rotation.Core.Ports;

namespace Rotation.Functions.Events;

/// <summary>
/// Stands in until the Event Grid publisher is registered: it publishes nothing, and says so with how many events
/// are waiting, so a deployment without a publisher is visible in the logs instead of silently piling up.
/// </summary>
public sealed partial class UnconfiguredOutboxPublisher(IStateStore store, ILogger<UnconfiguredOutboxPublisher> logger) : IOutboxPublisher
{
    public async Task<int> PublishPendingAsync(CancellationToken cancellationToken)
    {
        var pending = await store.ReadOutboxAsync(unpublishedOnly: true, max: 1000, cancellationToken);
        if (pending.Count > 0)
        {
            LogNoPublisher(logger, pending.Count);
        }

        return 0;
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "No outbox publisher is configured: {Pending} event(s) stay in the outbox until one is registered")]
    private static partial void LogNoPublisher(ILogger logger, int pending);
}
