using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rotation.Core.Domain;
using Rotation.Core.Ports;
using Rotation.Core.Rotations.Steps;

namespace Rotation.Core.Rotations.Engine;

/// <summary>
/// The activity behind every phase: load the record, run the phase's step, commit the outcome with its events in
/// one change set. Idempotent: a request for a phase that is no longer current returns the record untouched.
/// </summary>
public sealed partial class RotationStepRunner(
    IStateStore store,
    IKeyCustody custody,
    ITargetResolver targets,
    TimeProvider time,
    RotationEngineOptions? options = null,
    ILogger<RotationStepRunner>? logger = null)
{
    private readonly PhaseSteps _steps = new(custody);
    private readonly RotationEngineOptions _options = options ?? new RotationEngineOptions();
    private readonly ILogger _logger = logger ?? NullLogger<RotationStepRunner>.Instance;

    public async Task<RotationRecord> RunAsync(string rotationId, RotationPhase phase, CancellationToken cancellationToken = default)
    {
        var record = await LoadAsync(rotationId, cancellationToken);
        if (record.IsFinished || record.CurrentPhase != phase)
        {
            // A retried activity, or an abort replaced the plan: the driver re-decides from the fresh record.
            return record;
        }

        if (PointOfNoReturnClaim.IsNeeded(record, phase))
        {
            var claimed = await PointOfNoReturnClaim.ClaimAsync(store, record, phase, time.GetUtcNow(), cancellationToken);
            if (claimed is null)
            {
                // An abort (or another runner) changed the record first: nothing was written, re-decide from it.
                return await LoadAsync(rotationId, cancellationToken);
            }

            record = claimed;
        }

        var inventory = new CaInventory(record.Domain, await store.ListAuthoritiesAsync(record.Domain, cancellationToken));
        var material = new RotationMaterial(record, inventory, custody);
        var resolved = await targets.ResolveAsync(record.Domain, cancellationToken);
        var now = time.GetUtcNow();
        var issuedLeaves = await store.ListIssuedLeavesAsync(record.Domain, cancellationToken);
        var context = new StepContext(record, material, resolved, now, _options.MaxTargetConcurrency, issuedLeaves);

        PhaseOutcome outcome;
        UnsafeStepException? refusal = null;
        try
        {
            LogStepStarting(_logger, record.Id, phase, resolved.Count);
            outcome = await _steps.For(record.Kind, phase).RunAsync(context, cancellationToken);
        }
        catch (UnsafeStepException ex)
        {
            refusal = ex;
            outcome = new PhaseOutcome.Holding(PhaseOutcome.NoTargets, $"refused: {ex.Message}");
        }
        catch (Exception ex) when (phase == RotationPhase.Prepare && ex is Pki.PkiException or DomainException)
        {
            // Prepare touches no target, so a rotation that cannot mint its CAs (vault refuses, bad material) is
            // failed outright rather than left holding the domain's one active-rotation slot. A key it made before
            // failing (the root, when the intermediate is refused) would belong to no record: it is retired first.
            var reason = ex.Message + await RetireAbandonedKeysAsync(record, cancellationToken);
            try
            {
                await store.CommitAsync(RotationTransitions.Fail(record, phase, reason, now), cancellationToken);
            }
            catch (ConcurrencyConflictException)
            {
                // An abort got in first; the record it committed is the one to report.
                LogConflict(_logger, record.Id, phase);
                return await LoadAsync(rotationId, cancellationToken);
            }

            LogFailed(_logger, record.Id, phase, reason);
            throw;
        }

        var (next, changes) = RotationTransitions.Apply(record, phase, outcome, material, now);
        await Authorities.RetiredCaKeys.RetireAsync(custody, inventory.Authorities, changes.Authorities, cancellationToken);
        try
        {
            await store.CommitAsync(changes, cancellationToken);
        }
        catch (ConcurrencyConflictException)
        {
            // Someone (an approval, an abort) changed the record while the step ran; the step's writes were
            // idempotent, so the driver can safely re-decide from what is stored now.
            LogConflict(_logger, record.Id, phase);
            var current = await LoadAsync(rotationId, cancellationToken);
            if (phase == RotationPhase.Prepare && current.IsFinished && current.Authorities.NewIntermediateId is null)
            {
                // Aborted while this Prepare minted: the abort retired what existed then, these keys came after it.
                _ = await AbandonedPrepareKeys.RetireAsync(custody, current, cancellationToken);
            }

            return current;
        }

        LogStepFinished(_logger, record.Id, phase, outcome is PhaseOutcome.Done, outcome is PhaseOutcome.Holding h ? h.Reason : string.Empty);
        if (refusal is not null)
        {
            throw refusal;
        }

        return next with { Version = record.Version + 1 };
    }

    /// <summary>Retires the keys a failed Prepare made; a vault that refuses this too is reported, not thrown over the failure.</summary>
    private async Task<string> RetireAbandonedKeysAsync(RotationRecord record, CancellationToken cancellationToken)
    {
        try
        {
            var retired = await AbandonedPrepareKeys.RetireAsync(custody, record, cancellationToken);
            return retired.Count == 0 ? string.Empty : $" (retired the {retired.Count} key version(s) it had made: {string.Join(", ", retired)})";
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return $" (the key versions it made could not be retired: {ex.Message}; retire them by hand: {string.Join(", ", AbandonedPrepareKeys.NamesFor(record))})";
        }
    }

    public async Task<RotationRecord> LoadAsync(string rotationId, CancellationToken cancellationToken = default) =>
        await store.FindRotationAsync(rotationId, cancellationToken)
        ?? throw new DomainException($"no rotation '{rotationId}': list rotations with 'rotation status'");

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Step starting. Rotation: {RotationId} Phase: {Phase} Targets: {TargetCount}")]
    private static partial void LogStepStarting(ILogger logger, string rotationId, RotationPhase phase, int targetCount);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Step finished. Rotation: {RotationId} Phase: {Phase} Done: {Done} Holding: {Reason}")]
    private static partial void LogStepFinished(ILogger logger, string rotationId, RotationPhase phase, bool done, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "Rotation failed. Rotation: {RotationId} Phase: {Phase} Reason: {Reason}")]
    private static partial void LogFailed(ILogger logger, string rotationId, RotationPhase phase, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Record changed while the step ran; re-reading. Rotation: {RotationId} Phase: {Phase}")]
    private static partial void LogConflict(ILogger logger, string rotationId, RotationPhase phase);
}
