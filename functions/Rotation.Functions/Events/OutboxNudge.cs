using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Rotation.Functions.Events;

/// <summary>
/// Drains the outbox right after a commit that appended events, so a rotation's events reach Event Grid within
/// seconds instead of at the next minute's PublishEvents tick. The commit only signals; the drain runs here, in the
/// background, so a slow or failing sink (the publisher backs off on 429/5xx) never holds up an activity or an HTTP
/// call. Signals that arrive while a drain runs coalesce into one more drain, which picks up every row committed
/// meanwhile. Nothing is lost when this process stops mid-drain: the rows stay pending and the timer sends them.
/// </summary>
/// <remarks>
/// The publisher is resolved when the service starts, not injected: it reads and marks rows through the state store,
/// and the host's state store signals this service, so injecting it would make the two depend on each other.
/// </remarks>
public sealed partial class OutboxNudge(IServiceProvider services, ILogger<OutboxNudge> logger) : BackgroundService
{
    // Capacity 1, drop the newcomer: one pending signal already means "drain again after this one".
    private readonly Channel<bool> _signals = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    /// <summary>How many drains this process ran after commits (for the tests and the logs).</summary>
    public int Drains => Volatile.Read(ref _drains);

    private int _drains;

    /// <summary>Asks for a drain soon. Never blocks and never throws.</summary>
    public void Signal() => _signals.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var publisher = services.GetRequiredService<IOutboxPublisher>();
        if (publisher is UnconfiguredOutboxPublisher)
        {
            // No sink: the timer's stand-in already says events are waiting; one warning per commit would be noise.
            return;
        }

        try
        {
            while (await _signals.Reader.WaitToReadAsync(stoppingToken))
            {
                _signals.Reader.TryRead(out _);
                try
                {
                    await publisher.PublishPendingAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    // The rows stay pending (the publisher marks only what the sink accepted); the timer retries.
                    LogDrainFailed(logger, ex.GetType().Name, ex.Message);
                }

                Interlocked.Increment(ref _drains);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping; pending rows wait for the next instance's timer.
        }
    }

    [LoggerMessage(EventId = 312, Level = LogLevel.Warning, Message = "Drain after commit failed ({ErrorType}: {Error}); the PublishEvents timer will retry")]
    private static partial void LogDrainFailed(ILogger logger, string errorType, string error);
}
