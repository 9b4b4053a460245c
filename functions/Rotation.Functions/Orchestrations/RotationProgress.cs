using Rotation.Core.Rotations;

namespace Rotation.Functions.Orchestrations;

/// <summary>
/// The orchestration's custom status: what an operator polling GET /api/rotations/{id} needs at a glance. Kept
/// small whatever the estate's size (the Azure Storage provider caps custom status at 16 KB): counts of the clusters
/// done and holding in the current phase, at most <see cref="RecordSnapshot.HoldingExamples"/> holding ones with a
/// one-line reason each; the store's record has every cluster. <see cref="WakesOnChange"/> says the current wait also
/// ends on a change of the estate (not only at <see cref="NextCheckAt"/>); <see cref="WokenBy"/> says what ended the last wait;
/// <see cref="Round"/> how far the cluster activities of the current step have got.
/// </summary>
public sealed record RotationProgress(
    string RotationId,
    RotationStatus Status,
    RotationPhase? Phase,
    int Generation,
    int ClustersDone,
    int ClustersHolding,
    IReadOnlyDictionary<string, string> HoldingExamples,
    string? Holding,
    DateTimeOffset? NextCheckAt,
    string? LastSignal,
    bool WakesOnChange = false,
    string? WokenBy = null,
    string? Round = null)
{
    private const int MaxReasonLength = 300;

    public static RotationProgress From(RecordSnapshot snapshot, int generation, string? holding = null, DateTimeOffset? nextCheckAt = null, string? lastSignal = null)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var record = snapshot.Record;
        return new RotationProgress(
            record.Id,
            record.Status,
            record.CurrentPhase,
            generation,
            snapshot.TargetsDone,
            snapshot.TargetsHolding,
            record.Targets
                .Where(t => t.Value.Phase == record.CurrentPhase && t.Value.State == TargetState.Blocked)
                .ToDictionary(t => t.Key, t => Trim(t.Value.Detail) ?? string.Empty, StringComparer.Ordinal),
            Trim(holding ?? record.Gate?.Reason),
            nextCheckAt ?? record.Gate?.NextCheckAt,
            lastSignal,
            Round: snapshot.Round);
    }

    private static string? Trim(string? text) =>
        text is null || text.Length <= MaxReasonLength ? text : string.Concat(text.AsSpan(0, MaxReasonLength), "…");
}
