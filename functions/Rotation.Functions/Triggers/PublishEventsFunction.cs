using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Rotation.Functions.Events;

namespace Rotation.Functions.Triggers;

/// <summary>Every minute: drains the outbox through the registered <see cref="IOutboxPublisher"/>.</summary>
public sealed partial class PublishEventsFunction(IOutboxPublisher publisher, ILogger<PublishEventsFunction> logger)
{
    public const string Schedule = "0 * * * * *";

    [Function("PublishEvents")]
    public async Task RunAsync([TimerTrigger(Schedule)] TimerInfo timer, CancellationToken cancellationToken)
    {
        var published = await publisher.PublishPendingAsync(cancellationToken);
        if (published > 0)
        {
            LogPublished(logger, published);
        }
    }

    [LoggerMessage(EventId = 310, Level = LogLevel.Information, Message = "Published {Count} outbox event(s)")]
    private static partial void LogPublished(ILogger logger, int count);
}
