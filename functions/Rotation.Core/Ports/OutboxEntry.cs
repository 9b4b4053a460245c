using Rotation.Core.Events;

namespace Rotation.Core.Ports;

/// <summary>
/// An outbox row: the event, when a publisher delivered it (null until then) and how delivery has gone so far.
/// A row that keeps failing is parked: publishers skip it until an operator re-queues it.
/// </summary>
public sealed record OutboxEntry(long Sequence, CloudEvent Event, DateTimeOffset? PublishedAt)
{
    /// <summary>Failed delivery attempts so far (a delivered row keeps the count it had).</summary>
    public int Attempts { get; init; }

    /// <summary>The last delivery error, one line, null when no attempt failed.</summary>
    public string? LastError { get; init; }

    public DateTimeOffset? LastAttemptAt { get; init; }

    /// <summary>When the row was parked after its last failure; null while it is still tried.</summary>
    public DateTimeOffset? ParkedAt { get; init; }

    /// <summary>Neither delivered nor parked: a publisher should send it.</summary>
    public bool IsPending => PublishedAt is null && ParkedAt is null;

    /// <summary>Not delivered and at least one attempt failed (parked or not).</summary>
    public bool HasFailed => PublishedAt is null && Attempts > 0;
}
