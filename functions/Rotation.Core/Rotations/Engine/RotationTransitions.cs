using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Ports;
using Rotation.Core.Rotations.Evidence;

namespace Rotation.Core.Rotations.Engine;

/// <summary>Pure: the record and the change set that follow from a step's outcome.</summary>
public static class RotationTransitions
{
    public static (RotationRecord Next, ChangeSet Changes) Apply(
        RotationRecord record,
        RotationPhase phase,
        PhaseOutcome outcome,
        RotationMaterial material,
        DateTimeOffset now) => outcome switch
        {
            PhaseOutcome.Done done => Advance(record, phase, done, material, now),
            PhaseOutcome.Holding holding => Hold(record, phase, holding, now),
            _ => throw new ArgumentOutOfRangeException(nameof(outcome)),
        };

    private static (RotationRecord, ChangeSet) Advance(RotationRecord record, RotationPhase phase, PhaseOutcome.Done done, RotationMaterial material, DateTimeOffset now)
    {
        var nextIndex = record.PhaseIndex + 1;
        var finished = nextIndex >= record.Plan.Count;
        var status = !finished ? record.Status
            : record.Status == RotationStatus.Aborting ? RotationStatus.Aborted
            : RotationStatus.Completed;

        var next = record with
        {
            Status = status,
            PhaseIndex = nextIndex,
            Authorities = done.NewAuthorities ?? record.Authorities,
            Targets = Progress(phase, done.PerTarget, now),
            Gate = null,
            IssuerSwitchedAt = done.IssuerSwitched ? now : record.IssuerSwitchedAt,
            PhaseStartedAt = now,
            UpdatedAt = now,
            FinishedAt = finished ? now : null,
            Audit = [.. record.Audit, new AuditEntry(now, EventTypes.PhaseCompleted, phase, done.Summary)],
        };

        var events = new List<CloudEvent> { RotationEvents.Create(next, EventTypes.PhaseCompleted, phase, now, done.Summary) };
        if (finished)
        {
            var type = status == RotationStatus.Aborted ? EventTypes.RotationAborted : EventTypes.RotationCompleted;
            events.Add(RotationEvents.Create(next, type, null, now, $"rotation {status.ToString().ToLowerInvariant()}"));
            next = next with { Audit = [.. next.Audit, new AuditEntry(now, type, null, $"rotation {status.ToString().ToLowerInvariant()}")] };
        }
        else
        {
            var upcoming = next.Plan[nextIndex];
            events.Add(RotationEvents.Create(next, EventTypes.PhaseStarted, upcoming, now, $"{upcoming} started"));
            if (next.AwaitsApproval(upcoming))
            {
                events.Add(RotationEvents.Create(next, EventTypes.ApprovalRequired, upcoming, now, $"{upcoming} waits for an approval: rotation approve {record.Id} --phase {upcoming}"));
            }
        }

        var authorities = done.Authorities
            .Concat(CaStatusTransitions.AfterPhase(record, phase, material, finished))
            .ToList();
        return (next, new ChangeSet { Rotation = next, Authorities = authorities, Events = events });
    }

    /// <summary>The rotation stops for good; only for phases that wrote nothing to any target.</summary>
    public static ChangeSet Fail(RotationRecord record, RotationPhase phase, string reason, DateTimeOffset now)
    {
        var next = record with
        {
            Status = RotationStatus.Failed,
            FailureReason = reason,
            FinishedAt = now,
            UpdatedAt = now,
            Audit = [.. record.Audit, new AuditEntry(now, EventTypes.RotationFailed, phase, reason)],
        };
        return new ChangeSet { Rotation = next, Events = [RotationEvents.Create(next, EventTypes.RotationFailed, phase, now, reason)] };
    }

    private static (RotationRecord, ChangeSet) Hold(RotationRecord record, RotationPhase phase, PhaseOutcome.Holding holding, DateTimeOffset now)
    {
        var previous = record.Gate is { } gate && gate.Phase == phase ? gate : null;
        var attempts = (previous?.Attempts ?? 0) + 1;

        var reasonChanged = previous?.Reason != holding.Reason;
        var merged = new Dictionary<string, TargetProgress>();
        foreach (var (target, progress) in record.Targets.Where(t => t.Value.Phase == phase))
        {
            merged[target] = progress;
        }

        foreach (var (target, progress) in Progress(phase, holding.PerTarget, now))
        {
            merged[target] = progress;
        }

        var next = record with
        {
            Targets = merged,
            Gate = GateRecheck.Schedule(record.Policy, phase, holding.Reason, attempts, holding.RecheckNoEarlierThan, now),
            UpdatedAt = now,
            Audit = reasonChanged ? [.. record.Audit, new AuditEntry(now, EventTypes.GateBlocked, phase, holding.Reason)] : record.Audit,
        };

        // One event per distinct reason: a gate that holds for an hour for the same reason is one alert, not 120.
        IReadOnlyList<CloudEvent> events = reasonChanged
            ? [RotationEvents.Create(next, EventTypes.GateBlocked, phase, now, holding.Reason, attempts.ToString())]
            : [];
        return (next, new ChangeSet { Rotation = next, Events = events });
    }

    private static Dictionary<string, TargetProgress> Progress(RotationPhase phase, IReadOnlyDictionary<string, TargetVerdict> perTarget, DateTimeOffset now) =>
        perTarget.ToDictionary(
            p => p.Key,
            p => new TargetProgress(phase, p.Value.Done ? TargetState.Done : TargetState.Blocked, p.Value.Detail, now));
}
