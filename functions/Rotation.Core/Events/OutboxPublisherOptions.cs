namespace Rotation.Core.Events;

/// <summary>How the outbox publisher batches, backs off and gives up. Validated when the publisher is created.</summary>
public sealed class OutboxPublisherOptions
{
    /// <summary>
    /// Largest request body. Event Grid takes at most 1 MB per publish request (learn.microsoft.com/azure/event-grid/event-schema);
    /// the default leaves room under 1,048,576 bytes.
    /// </summary>
    public int MaxBatchBytes { get; set; } = 1_000_000;

    public int MaxEventsPerBatch { get; set; } = 500;

    /// <summary>Rows read from the outbox per round.</summary>
    public int ReadSize { get; set; } = 1000;

    /// <summary>A row is parked after this many failed attempts (counted across runs).</summary>
    public int ParkAfterAttempts { get; set; } = 10;

    /// <summary>Transient failures retried within one run before it stops and leaves the rest for the next run.</summary>
    public int MaxRetriesPerRun { get; set; } = 6;

    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Publish only this trust domain's events (see <see cref="EventSources.DomainOf"/>); null publishes every row. The drill
    /// sets it, so a drill against a shared store and topic never sends (or marks) anyone else's events.
    /// </summary>
    public string? Domain { get; set; }

    public void Validate()
    {
        if (MaxBatchBytes < 1024 || MaxEventsPerBatch < 1 || ReadSize < 1 || ParkAfterAttempts < 1 || MaxRetriesPerRun < 0
            || InitialBackoff < TimeSpan.Zero || MaxBackoff < InitialBackoff)
        {
            throw new ArgumentException(
                "outbox publisher options are out of range: MaxBatchBytes >= 1024, MaxEventsPerBatch, ReadSize and ParkAfterAttempts >= 1, MaxRetriesPerRun >= 0, 0 <= InitialBackoff <= MaxBackoff");
        }
    }
}
