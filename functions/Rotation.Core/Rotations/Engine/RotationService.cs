using System.Security.Cryptography;
using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Ports;

namespace Rotation.Core.Rotations.Engine;

/// <summary>
/// The commands around a rotation: start (and dry run), approve, abort, read. Driving it is the driver's job.
/// Every command validates first and changes nothing when it refuses.
/// </summary>
public sealed class RotationService(IStateStore store, IKeyCustody custody, ITargetResolver targets, TimeProvider time, RotationEngineOptions? options = null)
{
    private readonly RotationEngineOptions _options = options ?? new RotationEngineOptions();

    public async Task<RotationPlanPreview> PreviewAsync(string domain, RotationKind kind, RotationPolicy policy, CancellationToken cancellationToken = default)
    {
        var inventory = await RequireReadyDomainAsync(domain, cancellationToken);
        var resolved = await targets.ResolveAsync(domain, cancellationToken);
        if (await Drift.DriftGate.EnsureAsync(resolved, Drift.DriftExpectation.Steady(inventory), inventory, _options.MaxTargetConcurrency, cancellationToken) is { } unreadable)
        {
            throw new DomainException($"preflight {unreadable}: fix connectivity, then try again");
        }

        Authorities.Adoption.AbsentKeys.EnsureRotatable(inventory, kind);
        var phases = RotationPlans.For(kind)
            .Select(p => new PlannedPhase(p, PhaseDescriptions.Describe(kind, p), policy.RequiresApproval(p)))
            .ToList();
        return new RotationPlanPreview(domain, kind, phases, resolved.Select(t => t.Name).ToList());
    }

    public async Task<RotationRecord> StartAsync(string domain, RotationKind kind, RotationPolicy policy, string requestedBy, CancellationToken cancellationToken = default)
    {
        var inventory = await RequireReadyDomainAsync(domain, cancellationToken);
        var resolved = await targets.ResolveAsync(domain, cancellationToken);
        if (resolved.Count == 0)
        {
            throw new DomainException($"trust domain '{domain}' has no targets: register a cluster with 'rotation cluster add', or rehearse with 'rotation drill'");
        }

        var preflight = await TargetFanOut.RunAsync(resolved, (t, ct) => t.PreflightAsync(kind, ct), _options.MaxTargetConcurrency, cancellationToken);
        if (preflight.FirstOrDefault(r => r.Value is null) is { } unreachable)
        {
            throw new DomainException($"preflight could not reach {unreachable.Target}: {unreachable.Error}: fix connectivity, then start again");
        }

        var failed = preflight.SelectMany(r => r.Value!.Checks.Where(c => !c.Passed).Select(c => $"{r.Target}: {c.Name}: {c.Detail}")).ToList();
        if (failed.Count > 0)
        {
            throw new UnsafeStepException($"preflight failed, a {kind.ToString().ToLowerInvariant()} rotation would break handshakes: {string.Join("; ", failed)}");
        }

        if (await Drift.DriftGate.EnsureAsync(resolved, Drift.DriftExpectation.Steady(inventory), inventory, _options.MaxTargetConcurrency, cancellationToken) is { } unreadable)
        {
            throw new DomainException($"preflight {unreadable}: fix connectivity, then start again");
        }

        Authorities.Adoption.AbsentKeys.EnsureRotatable(inventory, kind);

        var now = time.GetUtcNow();
        var record = new RotationRecord
        {
            Id = NewRotationId(now),
            Domain = domain,
            Kind = kind,
            Plan = RotationPlans.For(kind),
            Authorities = new RotationAuthorities(inventory.ActiveRoot.Id, inventory.ActiveIntermediate.Id, null, null),
            Policy = policy,
            CreatedAt = now,
            UpdatedAt = now,
            PhaseStartedAt = now,
            Audit = [new AuditEntry(now, "RotationStarted", null, $"{kind} rotation of {domain} requested by {requestedBy} over {resolved.Count} target(s)")],
        };

        var events = new List<CloudEvent> { RotationEvents.Create(record, EventTypes.PhaseStarted, record.Plan[0], now, $"{record.Plan[0]} started") };
        if (record.AwaitsApproval(record.Plan[0]))
        {
            events.Add(RotationEvents.Create(record, EventTypes.ApprovalRequired, record.Plan[0], now, $"{record.Plan[0]} waits for an approval"));
        }

        await store.CommitAsync(new ChangeSet { Rotation = record, Events = events }, cancellationToken);
        return record with { Version = 1 };
    }

    /// <summary>
    /// Approves <paramref name="phase"/> (default: the current phase). Approving twice is a no-op. A phase the policy
    /// does not hold for an approval, or a rotation that is unwinding, is refused: an approval nobody waits for would
    /// sit in the record as if someone had signed off on something.
    /// </summary>
    public Task<RotationRecord> ApproveAsync(string rotationId, RotationPhase? phase, string approvedBy, CancellationToken cancellationToken = default) =>
        OnStoredRecordAsync(rotationId, record => ApproveOnAsync(record, phase, approvedBy, cancellationToken), cancellationToken);

    private async Task<RotationRecord> ApproveOnAsync(RotationRecord record, RotationPhase? phase, string approvedBy, CancellationToken cancellationToken)
    {
        var rotationId = record.Id;
        RequireActive(record, "approve");
        if (record.Status == RotationStatus.Aborting)
        {
            throw new ApprovalRefusedException($"rotation {rotationId} is aborting: unwinding never waits for an approval, there is nothing to approve; follow it with 'rotation status {rotationId}'");
        }

        var target = phase ?? record.CurrentPhase!.Value;
        var index = record.Plan.ToList().IndexOf(target);
        if (index >= 0 && index < record.PhaseIndex)
        {
            throw new DomainException($"phase {target} is not ahead in rotation {rotationId} (current: {record.CurrentPhase}): approve the current or a later phase");
        }

        if (index < 0 || !record.Policy.RequiresApproval(target))
        {
            var waiting = record.Plan.Skip(record.PhaseIndex).Where(record.Policy.RequiresApproval).ToList();
            throw new ApprovalRefusedException(
                $"phase {target} of rotation {rotationId} does not wait for an approval"
                + (waiting.Count == 0 ? "; no phase ahead needs one" : $"; phases that do: {string.Join(", ", waiting)} (approve one with --phase)")
                + "; nothing was changed");
        }

        if (record.IsApproved(target))
        {
            return record;
        }

        var now = time.GetUtcNow();
        var next = record with
        {
            Approvals = [.. record.Approvals, new Approval(target, approvedBy, now, record.PlanGeneration)],
            Audit = [.. record.Audit, new AuditEntry(now, "Approved", target, $"approved by {approvedBy}")],
            UpdatedAt = now,
        };
        var approvedEvent = RotationEvents.Create(next, EventTypes.PhaseApproved, target, now, $"{target} approved by {approvedBy}");
        await store.CommitAsync(new ChangeSet { Rotation = next, Events = [approvedEvent] }, cancellationToken);
        return next with { Version = record.Version + 1 };
    }

    /// <summary>
    /// Replaces the plan with the unwind plan. Refused (unsafe) once the point of no return has started.
    /// Aborting an aborting rotation is a no-op.
    /// </summary>
    public Task<RotationRecord> AbortAsync(string rotationId, string requestedBy, CancellationToken cancellationToken = default) =>
        OnStoredRecordAsync(rotationId, record => AbortOnAsync(record, requestedBy, cancellationToken), cancellationToken);

    private async Task<RotationRecord> AbortOnAsync(RotationRecord record, string requestedBy, CancellationToken cancellationToken)
    {
        var rotationId = record.Id;
        if (record.Status == RotationStatus.Aborting)
        {
            return record;
        }

        RequireActive(record, "abort");
        if (AbortPlanner.PastPointOfNoReturn(record))
        {
            throw new UnsafeStepException($"rotation {rotationId} is past the point of no return ({record.CurrentPhase} has started): the old trust is being removed, finish it with 'rotation resume {rotationId}'");
        }

        var now = time.GetUtcNow();
        var unwind = AbortPlanner.UnwindPlan(record);
        var audit = new AuditEntry(now, "AbortRequested", record.CurrentPhase, $"abort requested by {requestedBy}; unwinding: {(unwind.Count == 0 ? "nothing" : string.Join(", ", unwind))}");
        var next = record with
        {
            Status = unwind.Count == 0 ? RotationStatus.Aborted : RotationStatus.Aborting,
            Plan = unwind,
            PhaseIndex = 0,
            PlanGeneration = record.PlanGeneration + 1,
            Gate = null,
            // A round the Durable host had in progress belongs to the replaced plan: its answers are dropped with it.
            Round = null,
            Targets = new Dictionary<string, TargetProgress>(),
            PhaseStartedAt = now,
            UpdatedAt = now,
            FinishedAt = unwind.Count == 0 ? now : null,
            Audit = [.. record.Audit, audit],
        };

        var events = new List<CloudEvent>();
        if (unwind.Count == 0)
        {
            // Nothing to unwind means Prepare never committed (AbortPlanner.UnwindPlan): no new CA is on record and no
            // target was written. The keys that Prepare may already have made are on no record either; they are retired
            // here, before the commit (both repeatable), so a crash in between leaves the rotation abortable again.
            events.Add(RotationEvents.Create(next, EventTypes.RotationAborted, null, now, audit.Detail));
            var abandoned = await AbandonedPrepareKeys.RetireAsync(custody, record, cancellationToken);
            if (abandoned.Count > 0)
            {
                next = next with
                {
                    Audit = [.. next.Audit, new AuditEntry(now, "AbandonedKeysRetired", record.CurrentPhase, $"retired {abandoned.Count} key version(s) Prepare made before it committed: {string.Join(", ", abandoned.Select(k => k.ToString()))}")],
                };
            }
        }
        else
        {
            events.Add(RotationEvents.Create(next, EventTypes.PhaseStarted, unwind[0], now, $"{unwind[0]} started (abort)"));
        }

        await store.CommitAsync(new ChangeSet { Rotation = next, Events = events }, cancellationToken);
        return next with { Version = record.Version + 1 };
    }

    public Task<RotationRecord?> FindAsync(string rotationId, CancellationToken cancellationToken = default) =>
        store.FindRotationAsync(rotationId, cancellationToken);

    public Task<IReadOnlyList<RotationRecord>> ListAsync(string? domain = null, CancellationToken cancellationToken = default) =>
        store.ListRotationsAsync(domain, cancellationToken);

    /// <summary>
    /// Runs an operator's command on the stored record, and again on a fresh read when the driver committed first.
    /// The driver commits after every step, so an approval or abort that lands while a phase runs loses the race
    /// often; deciding again on what is stored now is what the operator meant (an abort that now finds the point of
    /// no return passed is refused, not applied to the record it first read).
    /// </summary>
    private async Task<RotationRecord> OnStoredRecordAsync(string rotationId, Func<RotationRecord, Task<RotationRecord>> command, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var record = await RequireAsync(rotationId, cancellationToken);
            try
            {
                return await command(record);
            }
            catch (ConcurrencyConflictException) when (attempt < CommandAttempts)
            {
            }
        }
    }

    // A driver commits at most once per step, so more than a few lost races in a row means something else is wrong.
    private const int CommandAttempts = 5;

    private async Task<RotationRecord> RequireAsync(string rotationId, CancellationToken cancellationToken) =>
        await store.FindRotationAsync(rotationId, cancellationToken)
        ?? throw new DomainException($"no rotation '{rotationId}': list rotations with 'rotation status'");

    private static void RequireActive(RotationRecord record, string verb)
    {
        if (record.IsFinished)
        {
            throw new DomainException($"rotation {record.Id} is {record.Status.ToString().ToLowerInvariant()}: there is nothing to {verb}");
        }
    }

    private async Task<CaInventory> RequireReadyDomainAsync(string domain, CancellationToken cancellationToken)
    {
        _ = await store.FindDomainAsync(domain, cancellationToken)
            ?? throw new DomainException($"unknown trust domain '{domain}': create it with 'rotation init --domain {domain}'");
        var active = (await store.ListRotationsAsync(domain, cancellationToken)).FirstOrDefault(r => r.IsActive);
        if (active is not null)
        {
            throw new DomainException($"trust domain '{domain}' already has an active rotation '{active.Id}' ({active.CurrentPhase}): resume or abort it first");
        }

        var inventory = new CaInventory(domain, await store.ListAuthoritiesAsync(domain, cancellationToken));
        _ = inventory.ActiveRoot;
        _ = inventory.ActiveIntermediate;
        return inventory;
    }

    private static string NewRotationId(DateTimeOffset now) =>
        $"rot-{now:yyyyMMddHHmmss}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
}
