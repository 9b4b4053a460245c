using Rotation.Core.Domain;
using Rotation.Core.Ports;

namespace Rotation.Core.Rotations.Engine;

/// <summary>
/// Commits "the point of no return has started" before that phase's first write, so an abort and the phase cannot
/// both win. Without it an abort accepted while the step ran (the record did not show the phase started yet) would
/// replace the plan after the step had already dropped the old root from trust stores, or retired the old CA's keys;
/// the unwind would then reinstate an issuer nobody trusts any more. With it, whichever commits first decides: an
/// abort that landed first makes the claim conflict and the step writes nothing; a claim that landed first makes the
/// abort refuse (past the point of no return). A re-run after a crash finds the claim and carries on.
/// </summary>
public static class PointOfNoReturnClaim
{
    /// <summary>True when <paramref name="phase"/> is the record's point of no return and nothing has claimed it yet.</summary>
    public static bool IsNeeded(RotationRecord record, RotationPhase phase) =>
        record.Status == RotationStatus.Running && phase == AbortPlanner.PointOfNoReturn(record) && !AbortPlanner.PastPointOfNoReturn(record);

    /// <summary>The claimed record (its version advanced), or null when the record changed first (an abort won: write nothing).</summary>
    public static async Task<RotationRecord?> ClaimAsync(IStateStore store, RotationRecord record, RotationPhase phase, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(record);
        var claimed = record with
        {
            UpdatedAt = now,
            Audit = [.. record.Audit, new AuditEntry(now, AbortPlanner.PointOfNoReturnClaimed, phase, $"{phase} starts: an abort is refused from here on")],
        };
        try
        {
            await store.CommitAsync(new ChangeSet { Rotation = claimed }, cancellationToken);
        }
        catch (ConcurrencyConflictException)
        {
            return null;
        }

        return claimed with { Version = record.Version + 1 };
    }
}
