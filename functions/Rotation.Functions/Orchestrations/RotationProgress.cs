using Rotation.Core.Rotations;

namespace Rotation.Functions.Orchestrations;

/// <summary>
/// The orchestration's custom status: what an operator polling GET /api/rotations/{id} needs at a glance. Kept
/// small (the Azure Storage provider caps custom status at 16 KB): names and one-line reasons only.
/// <see cref="WakesOnChange"/> says the current wait also ends on a change of the estate (not only at
/// <see cref="NextCheckAt"/>); <see cref="WokenBy"/> says what ended the last wait.
/// </summary>
public sealed record RotationProgress(
    string RotationId,
    RotationStatus Status,
    RotationPhase? Phase,
    int Generation,
    IReadOnlyList<string> ClustersDone,
    IReadOnlyDictionary<string, string> ClustersHolding,
    string? Holding,
    DateTimeOffset? NextCheckAt,
    string? LastSignal,
    bool WakesOnChange = false,
    string? WokenBy = null)
{
    private const int MaxReasonLength = 300;

    public static RotationProgress From(RotationRecord record, int generation, string? holding = null, DateTimeOffset? nextCheckAt = null, string? lastSignal = null)
    {
        var current = record.Targets.Where(t => t.Value.Phase == record.CurrentPhase).ToList();
        return new RotationProgress(
            record.Id,
            record.Status,
            record.CurrentPhase,
            generation,
            [.. current.Where(t => t.Value.State == TargetState.Done).Select(t => t.Key).Order(StringComparer.Ordinal)],
            current.Where(t => t.Value.State == TargetState.Blocked).ToDictionary(t => t.Key, t => Trim(t.Value.Detail) ?? string.Empty, StringComparer.Ordinal),
            Trim(holding ?? record.Gate?.Reason),
            nextCheckAt ?? record.Gate?.NextCheckAt,
            lastSignal);
    }

    private static string? Trim(string? text) =>
        text is null || text.Length <= MaxReasonLength ? text : string.Concat(text.AsSpan(0, MaxReasonLength), "…");
}
