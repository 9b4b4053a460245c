using System.Text;
using Rotation.Core.Ports;
using Rotation.Core.Serialization;

namespace Rotation.Core.Events;

/// <summary>What one publishing run did.</summary>
public sealed record PublishReport(int Delivered, int FailedAttempts, int Parked, int Requests, bool Stopped, string? LastError);

/// <summary>
/// Drains the outbox to a sink, at least once: a batch is marked published only after the sink took it, so a crash
/// in between re-sends it with the same ids (subscribers deduplicate by id). Batches stay under the sink's request
/// size. Transient failures back off (exponential, Retry-After honoured) and count against each row; a row that keeps
/// failing, or that the sink rejects on its own, is parked with its last error.
/// </summary>
public sealed class OutboxPublisher
{
    private readonly IStateStore _store;
    private readonly IEventSink _sink;
    private readonly OutboxPublisherOptions _options;
    private readonly TimeProvider _time;

    public OutboxPublisher(IStateStore store, IEventSink sink, OutboxPublisherOptions? options = null, TimeProvider? time = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        _options = options ?? new OutboxPublisherOptions();
        _options.Validate();
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Publishes every pending row; stops early when the sink stays unavailable. Throws <see cref="DomainException"/> when the sink refuses us.</summary>
    public async Task<PublishReport> PublishPendingAsync(CancellationToken cancellationToken = default)
    {
        var run = new Run();
        while (!run.Stopped)
        {
            var pending = await ReadPendingAsync(cancellationToken);
            if (pending.Count == 0)
            {
                break;
            }

            foreach (var batch in Batches(pending, run))
            {
                await SendAsync(batch, run, cancellationToken);
                if (run.Stopped)
                {
                    break;
                }
            }

            await ParkOversizedAsync(run, cancellationToken);
        }

        return new PublishReport(run.Delivered, run.FailedAttempts, run.Parked, run.Requests, run.Stopped, run.LastError);
    }

    // With a domain filter every pending row is read and the domain's first ReadSize kept: other domains' rows ahead
    // of ours in a shared outbox must not hide ours.
    private async Task<IReadOnlyList<OutboxEntry>> ReadPendingAsync(CancellationToken cancellationToken)
    {
        if (_options.Domain is not { } domain)
        {
            return await _store.ReadOutboxAsync(unpublishedOnly: true, max: _options.ReadSize, cancellationToken);
        }

        var pending = await _store.ReadOutboxAsync(unpublishedOnly: true, cancellationToken: cancellationToken);
        return [.. pending.Where(e => EventSources.DomainOf(e.Event) == domain).Take(_options.ReadSize)];
    }

    /// <summary>Publishes, waits <paramref name="interval"/>, and again, until cancelled.</summary>
    public async Task WatchAsync(TimeSpan interval, Action<PublishReport>? onRun = null, CancellationToken cancellationToken = default)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            onRun?.Invoke(await PublishPendingAsync(cancellationToken));
            await Task.Delay(interval, _time, cancellationToken);
        }
    }

    private IEnumerable<IReadOnlyList<OutboxEntry>> Batches(IReadOnlyList<OutboxEntry> pending, Run run)
    {
        var batch = new List<OutboxEntry>();
        var bytes = 2;
        foreach (var entry in pending)
        {
            var size = Encoding.UTF8.GetByteCount(CloudEventJson.Serialize(entry.Event)) + 1;
            if (size + 2 > _options.MaxBatchBytes)
            {
                run.Oversized.Add((entry, size));
                continue;
            }

            if (batch.Count > 0 && (bytes + size > _options.MaxBatchBytes || batch.Count == _options.MaxEventsPerBatch))
            {
                yield return batch;
                batch = [];
                bytes = 2;
            }

            batch.Add(entry);
            bytes += size;
        }

        if (batch.Count > 0)
        {
            yield return batch;
        }
    }

    private async Task SendAsync(IReadOnlyList<OutboxEntry> batch, Run run, CancellationToken cancellationToken)
    {
        await ParkOversizedAsync(run, cancellationToken);
        var retries = 0;
        while (true)
        {
            var ids = batch.Select(e => e.Event.Id).ToList();
            try
            {
                run.Requests++;
                await _sink.SendAsync([.. batch.Select(e => e.Event)], cancellationToken);
                await _store.MarkPublishedAsync(ids, _time.GetUtcNow(), cancellationToken);
                run.Delivered += batch.Count;
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var failure = ex as EventDeliveryException ?? new EventDeliveryException(EventDeliveryFailure.Transient, ex.Message, null, ex);
                var message = $"{_sink.Name}: {failure.Message}";
                run.LastError = message;
                switch (failure.Failure)
                {
                    case EventDeliveryFailure.Refused:
                        await _store.RecordDeliveryFailureAsync(ids, message, _time.GetUtcNow(), int.MaxValue, cancellationToken);
                        throw new Domain.DomainException($"{message}: fix the sink's address or credentials, then publish again (nothing was parked)", ex);

                    case EventDeliveryFailure.Rejected when batch.Count > 1:
                        // Only some event may be at fault: halve until the rejected one stands alone.
                        var half = batch.Count / 2;
                        await SendAsync([.. batch.Take(half)], run, cancellationToken);
                        await SendAsync([.. batch.Skip(half)], run, cancellationToken);
                        return;

                    case EventDeliveryFailure.Rejected:
                        await _store.RecordDeliveryFailureAsync(ids, message, _time.GetUtcNow(), 1, cancellationToken);
                        run.FailedAttempts++;
                        run.Parked++;
                        return;

                    default:
                        await _store.RecordDeliveryFailureAsync(ids, message, _time.GetUtcNow(), _options.ParkAfterAttempts, cancellationToken);
                        run.FailedAttempts++;
                        var parkedNow = batch.Where(e => e.Attempts + retries + 1 >= _options.ParkAfterAttempts).ToList();
                        run.Parked += parkedNow.Count;
                        batch = [.. batch.Except(parkedNow)];
                        if (batch.Count == 0)
                        {
                            return;
                        }

                        if (retries >= _options.MaxRetriesPerRun)
                        {
                            run.Stopped = true;
                            return;
                        }

                        await Task.Delay(Backoff(retries, failure.RetryAfter), _time, cancellationToken);
                        retries++;
                        break;
                }
            }
        }
    }

    private async Task ParkOversizedAsync(Run run, CancellationToken cancellationToken)
    {
        foreach (var (entry, size) in run.Oversized)
        {
            await _store.RecordDeliveryFailureAsync(
                [entry.Event.Id],
                $"{_sink.Name}: event is {size} bytes, over the {_options.MaxBatchBytes}-byte request limit: it cannot be sent",
                _time.GetUtcNow(),
                1,
                cancellationToken);
            run.Parked++;
        }

        run.Oversized.Clear();
    }

    // Exponential with jitter (half to full), at least the sink's Retry-After, never above MaxBackoff.
    private TimeSpan Backoff(int retry, TimeSpan? retryAfter)
    {
        var exponential = _options.InitialBackoff * Math.Pow(2, Math.Min(retry, 20));
        var jittered = exponential * (0.5 + (Random.Shared.NextDouble() / 2));
        var wait = retryAfter is { } after && after > jittered ? after : jittered;
        return wait > _options.MaxBackoff ? _options.MaxBackoff : wait;
    }

    private sealed class Run
    {
        public int Delivered { get; set; }
        public int FailedAttempts { get; set; }
        public int Parked { get; set; }
        public int Requests { get; set; }
        public bool Stopped { get; set; }
        public string? LastError { get; set; }
        public List<(OutboxEntry Entry, int Size)> Oversized { get; } = [];
    }
}
