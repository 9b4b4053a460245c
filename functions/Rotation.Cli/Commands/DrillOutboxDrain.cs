using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Ports;
using Rotation.Drill.Drills;

namespace Rotation.Cli.Commands;

/// <summary>
/// Drains the drill domain's outbox while the drill runs (every <see cref="Interval"/>, and once more at the end), with
/// the same <see cref="OutboxPublisher"/> `rotation events publish` and the Functions host's PublishEvents run, so
/// delivery to a sink that fails is rehearsed together with the rotation that produces the events.
/// </summary>
internal sealed class DrillOutboxDrain(OutboxPublisher publisher, IStateStore store, string domain, TimeProvider time)
{
    /// <summary>Often enough that events leave during the rotation, rarely enough not to compete with the handshakes.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    private long _published;
    private long _parked;
    private long _attempts;
    private long _failedAttempts;
    private long _busyTicks;
    private string? _error;

    /// <summary>Publishes every <see cref="Interval"/> until <paramref name="stop"/>; a round in progress is finished, not cut off.</summary>
    public async Task RunAsync(CancellationToken stop, CancellationToken cancellationToken)
    {
        while (!stop.IsCancellationRequested && _error is null)
        {
            await OnceAsync(cancellationToken);
            try
            {
                await Task.Delay(Interval, time, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>The last round (what the rotation's final steps recorded), then what was delivered and what is left.</summary>
    public async Task<DrillEventsReport> FinishAsync(CancellationToken cancellationToken)
    {
        if (_error is null)
        {
            await OnceAsync(cancellationToken);
        }

        var pending = (await store.ReadOutboxAsync(unpublishedOnly: true, cancellationToken: cancellationToken))
            .Count(e => EventSources.DomainOf(e.Event) == domain);
        return new DrillEventsReport(_published, _parked, _attempts, _failedAttempts, pending, (long)time.GetElapsedTime(0, _busyTicks).TotalMilliseconds)
        {
            Error = _error,
        };
    }

    private async Task OnceAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        try
        {
            var report = await publisher.PublishPendingAsync(cancellationToken);
            _published += report.Delivered;
            _parked += report.Parked;
            _attempts += report.Requests;
            _failedAttempts += report.FailedAttempts;
        }
        catch (DomainException ex)
        {
            // The sink refused us (address, credentials): no later round will do better, and the rotation goes on.
            _error = ex.Message;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The store failed under the publisher (the sink's own failures are retried inside the run): report it
            // with what is left pending rather than fail a rotation that is still going.
            _error = $"publishing stopped: {ex.Message.Split('\n')[0]}";
        }
        finally
        {
            _busyTicks += time.GetTimestamp() - started;
        }
    }
}
