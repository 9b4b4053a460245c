using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Evidence;
using Rotation.Core.Rotations.Steps;

namespace Rotation.Functions.Orchestrations;

/// <summary>
/// What the record activities hand the orchestration, and so what Durable history stores: the record without what
/// only the store needs (its audit trail, and the progress of every target but a few that hold), plus how many
/// targets are done and holding in the current phase. The driver decides from status, plan, gate, approvals and
/// policy, none of which is trimmed; the full record stays in the store. So an activity's output is a few kilobytes
/// whether the rotation runs over two clusters or a thousand (RotationScaleTests).
/// </summary>
public sealed record RecordSnapshot(RotationRecord Record, int TargetsDone, int TargetsHolding, string? Round = null)
{
    /// <summary>How many holding targets (with their reasons) the snapshot keeps for the custom status.</summary>
    public const int HoldingExamples = 10;

    public static RecordSnapshot Of(RotationRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var current = record.Targets.Where(t => t.Value.Phase == record.CurrentPhase).ToList();
        var holding = current.Where(t => t.Value.State == TargetState.Blocked).OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        var trimmed = record with
        {
            Targets = holding.Take(HoldingExamples).ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal),
            Audit = [],
            // A round in progress stays visible to the driver (it carries the step on before any wait), but its
            // estate and answers stay in the store: one per target, they would grow with the estate.
            Round = record.Round is { } inProgress ? inProgress with { Estate = [], Targets = [], Parts = new Dictionary<string, TargetResult<TargetPart>>() } : null,
        };
        var round = record.Round is { } state && state.Belongs(record)
            ? $"{state.Phase} round {state.Round + 1}: {state.Parts.Count} of {state.Targets.Count} target(s) answered"
            : null;
        return new RecordSnapshot(trimmed, current.Count(t => t.Value.State == TargetState.Done), holding.Count, round);
    }
}
