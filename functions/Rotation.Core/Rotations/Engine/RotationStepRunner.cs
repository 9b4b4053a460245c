using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rotation.Core.Domain;
using Rotation.Core.Ports;
using Rotation.Core.Rotations.Steps;

namespace Rotation.Core.Rotations.Engine;

/// <summary>
/// The activity behind every phase: load the record, run the phase's step, commit the outcome with its events in
/// one change set. Idempotent: a request for a phase that is no longer current returns the record untouched.
/// <see cref="RunAsync"/> runs a whole step in this process (the CLI); <see cref="AdvanceAsync"/> and
/// <see cref="RunOnTargetAsync"/> run the same step one target at a time for a host that fans out itself (Durable).
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

        if (await ClaimIfNeededAsync(record, phase, cancellationToken) is not { } claimed)
        {
            return await LoadAsync(rotationId, cancellationToken);
        }

        record = claimed;
        var resolved = await targets.ResolveAsync(record.Domain, cancellationToken);
        var (context, inventory) = await ContextAsync(record, resolved, estate: null, cancellationToken);
        LogStepStarting(_logger, record.Id, phase, resolved.Count);
        var step = _steps.For(record.Kind, phase);
        PhaseRound outcome;
        UnsafeStepException? refusal;
        try
        {
            (outcome, refusal) = await GuardAsync(context, phase, async () => new PhaseRound.Finished(await PhaseRounds.RunAsync(step, context, cancellationToken)), cancellationToken);
        }
        catch (StepSuperseded)
        {
            return await LoadAsync(rotationId, cancellationToken);
        }

        var committed = await CommitOutcomeAsync(context, inventory, phase, outcome, cancellationToken);
        if (committed is not null && refusal is not null)
        {
            throw refusal;
        }

        return committed ?? await LoadAsync(rotationId, cancellationToken);
    }

    /// <summary>The record after a point-of-no-return claim when the phase needs one; null when the record changed first (an abort won: write nothing).</summary>
    private async Task<RotationRecord?> ClaimIfNeededAsync(RotationRecord record, RotationPhase phase, CancellationToken cancellationToken) =>
        PointOfNoReturnClaim.IsNeeded(record, phase)
            ? await PointOfNoReturnClaim.ClaimAsync(store, record, phase, time.GetUtcNow(), cancellationToken)
            : record;

    private async Task<(StepContext Context, CaInventory Inventory)> ContextAsync(RotationRecord record, IReadOnlyList<IRotationTarget> resolved, IReadOnlyList<string>? estate, CancellationToken cancellationToken)
    {
        var inventory = new CaInventory(record.Domain, await store.ListAuthoritiesAsync(record.Domain, cancellationToken));
        var material = new RotationMaterial(record, inventory, custody);
        var issuedLeaves = await store.ListIssuedLeavesAsync(record.Domain, cancellationToken);
        return (new StepContext(record, material, resolved, time.GetUtcNow(), _options.MaxTargetConcurrency, issuedLeaves, estate), inventory);
    }

    /// <summary>
    /// Runs a part of a step that may decide its outcome. A refusal becomes a hold with its reason (and is returned, for
    /// the CLI to rethrow after the commit). A Prepare that cannot mint fails the rotation outright (see the catch).
    /// </summary>
    private async Task<(PhaseRound Round, UnsafeStepException? Refusal)> GuardAsync(StepContext context, RotationPhase phase, Func<Task<PhaseRound>> run, CancellationToken cancellationToken)
    {
        var record = context.Record;
        try
        {
            return (await run(), null);
        }
        catch (UnsafeStepException ex)
        {
            return (PhaseRound.Holding($"refused: {ex.Message}"), ex);
        }
        catch (Exception ex) when (phase == RotationPhase.Prepare && ex is Pki.PkiException or DomainException)
        {
            // Prepare touches no target, so a rotation that cannot mint its CAs (vault refuses, bad material) is
            // failed outright rather than left holding the domain's one active-rotation slot. A key it made before
            // failing (the root, when the intermediate is refused) would belong to no record: it is retired first.
            var reason = ex.Message + await RetireAbandonedKeysAsync(record, cancellationToken);
            try
            {
                await store.CommitAsync(RotationTransitions.Fail(record, phase, reason, context.Now), cancellationToken);
            }
            catch (ConcurrencyConflictException)
            {
                // An abort got in first; the record it committed is the one to report.
                LogConflict(_logger, record.Id, phase);
                throw new StepSuperseded();
            }

            LogFailed(_logger, record.Id, phase, reason);
            throw;
        }
    }

    /// <summary>Commits a finished step's outcome; null when the record changed meanwhile (the driver re-decides from what is stored).</summary>
    private async Task<RotationRecord?> CommitOutcomeAsync(StepContext context, CaInventory inventory, RotationPhase phase, PhaseRound round, CancellationToken cancellationToken)
    {
        var record = context.Record with { Round = null };
        var outcome = ((PhaseRound.Finished)round).Outcome;
        var (next, changes) = RotationTransitions.Apply(record, phase, outcome, context.Material, context.Now);
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
            var current = await LoadAsync(record.Id, cancellationToken);
            if (phase == RotationPhase.Prepare && current.IsFinished && current.Authorities.NewIntermediateId is null)
            {
                // Aborted while this Prepare minted: the abort retired what existed then, these keys came after it.
                _ = await AbandonedPrepareKeys.RetireAsync(custody, current, cancellationToken);
            }

            return null;
        }

        LogStepFinished(_logger, record.Id, phase, outcome is PhaseOutcome.Done, outcome is PhaseOutcome.Holding h ? h.Reason : string.Empty);
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

    /// <summary>A failed Prepare lost its commit to an abort: the caller reports the stored record instead.</summary>
    private sealed class StepSuperseded : Exception
    {
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Step starting. Rotation: {RotationId} Phase: {Phase} Targets: {TargetCount}")]
    private static partial void LogStepStarting(ILogger logger, string rotationId, RotationPhase phase, int targetCount);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Step finished. Rotation: {RotationId} Phase: {Phase} Done: {Done} Holding: {Reason}")]
    private static partial void LogStepFinished(ILogger logger, string rotationId, RotationPhase phase, bool done, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "Rotation failed. Rotation: {RotationId} Phase: {Phase} Reason: {Reason}")]
    private static partial void LogFailed(ILogger logger, string rotationId, RotationPhase phase, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Record changed while the step ran; re-reading. Rotation: {RotationId} Phase: {Phase}")]
    private static partial void LogConflict(ILogger logger, string rotationId, RotationPhase phase);
}
