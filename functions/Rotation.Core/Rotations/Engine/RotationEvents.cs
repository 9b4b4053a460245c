using System.Text.Json;
using Rotation.Core.Events;

namespace Rotation.Core.Rotations.Engine;

/// <summary>
/// CloudEvents for rotation transitions. Ids derive from (rotation, type, plan generation, phase, discriminator),
/// so a step re-run after a crash produces the same ids and the outbox appends nothing twice.
/// </summary>
public static class RotationEvents
{
    public static CloudEvent Create(RotationRecord record, string type, RotationPhase? phase, DateTimeOffset at, string detail, string discriminator = "")
    {
        var data = JsonSerializer.SerializeToElement(new RotationEventData(
            record.Id,
            record.Domain,
            record.Kind.ToString(),
            record.Status.ToString(),
            phase?.ToString(),
            record.PlanGeneration,
            detail));
        return new CloudEvent(
            EventIds.From(record.Id, type, record.PlanGeneration.ToString(), phase?.ToString() ?? "-", discriminator),
            $"/rotation/domains/{record.Domain}/rotations/{record.Id}",
            type,
            at,
            phase is null ? $"rotations/{record.Id}" : $"rotations/{record.Id}/phases/{phase}",
            data);
    }

    private sealed record RotationEventData(
        [property: System.Text.Json.Serialization.JsonPropertyName("rotationId")] string RotationId,
        [property: System.Text.Json.Serialization.JsonPropertyName("domain")] string Domain,
        [property: System.Text.Json.Serialization.JsonPropertyName("kind")] string Kind,
        [property: System.Text.Json.Serialization.JsonPropertyName("status")] string Status,
        [property: System.Text.Json.Serialization.JsonPropertyName("phase")] string? Phase,
        [property: System.Text.Json.Serialization.JsonPropertyName("planGeneration")] int PlanGeneration,
        [property: System.Text.Json.Serialization.JsonPropertyName("detail")] string Detail);
}
