using System.Text.Json;

namespace Rotation.Core.Events;

/// <summary>
/// A CloudEvents 1.0 event as it sits in the outbox. <see cref="Id"/> is deterministic for events that may be
/// produced twice (a scan at the same instant, a step re-run after a crash), so appending is insert-if-absent.
/// </summary>
public sealed record CloudEvent(
    string Id,
    string Source,
    string Type,
    DateTimeOffset Time,
    string Subject,
    JsonElement Data)
{
    public const string SpecVersion = "1.0";
    public const string DataContentType = "application/json";
}
