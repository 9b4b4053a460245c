using Rotation.Core.Events;

namespace Rotation.Core.Ports;

/// <summary>An outbox row: the event and when a publisher delivered it (null until then).</summary>
public sealed record OutboxEntry(long Sequence, CloudEvent Event, DateTimeOffset? PublishedAt);
