using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Rotation.Core.Events;
using Rotation.Functions.Events;

namespace Rotation.Functions.Triggers;

/// <summary>Every minute: drains the outbox through the registered <see cref="IOutboxPublisher"/>.</summary>
public sealed partial class PublishEventsFunction(IOutboxPublisher publisher, ILogger<PublishEventsFunction> logger)
{
    public const string Schedule = "0 * * * * *";

    [Function("PublishEvents")]
    public Task RunAsync([TimerTrigger(Schedule)] TimerInfo timer, CancellationToken cancellationToken) => DrainAsync(cancellationToken);

    /// <summary>One drain of the outbox (the timer's body; a void timer function keeps the binding metadata plain).</summary>
    public async Task<PublishReport> DrainAsync(CancellationToken cancellationToken)
    {
        var report = await publisher.PublishPendingAsync(cancellationToken);
        if (report.Delivered > 0)
        {
            LogPublished(logger, report.Delivered);
        }

        return report;
    }

    [LoggerMessage(EventId = 310, Level = LogLevel.Information, Message = "Published {Count} outbox event(s)")]
    private static partial void LogPublished(ILogger logger, int count);
}
