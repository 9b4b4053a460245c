using Rotation.Core.Domain;
using Rotation.Core.Ports;
using Rotation.Core.Rotations.Evidence;
using Rotation.Core.Rotations.Steps;

namespace Rotation.Core.Rotations.Engine;

/// <summary>
/// The same steps for a host that fans out itself, one target per call (the Durable host's cluster activities):
/// <see cref="AdvanceAsync"/> plans, stores answers in <see cref="RotationRecord.Round"/>, reduces each complete round and
/// commits the outcome, as the single writer of the record for the phase; <see cref="RunOnTargetAsync"/> is one
/// target's part of a round, which writes nothing to the store.
/// </summary>
public sealed partial class RotationStepRunner
{
    /// <summary>How often an advance re-reads and tries again when an approval or abort committed first.</summary>
    private const int CommitAttempts = 5;

    /// <summary>
    /// Takes <paramref name="answers"/> into the round they were planned from, reduces every round that is complete
    /// and begins the next, until a round has targets without an answer (returns up to <paramref name="batchSize"/>
    /// of them) or the step is finished (commits it, returns no batch). Idempotent: answers to a stale round are
    /// dropped, and answers already taken are taken again unchanged.
    /// </summary>
    public async Task<RoundAdvance> AdvanceAsync(string rotationId, RotationPhase phase, RoundAnswers? answers, int batchSize, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        for (var attempt = 1; ; attempt++)
        {
            var record = await LoadAsync(rotationId, cancellationToken);
            if (record.IsFinished || record.CurrentPhase != phase)
            {
                return new RoundAdvance(record, null);
            }

            try
            {
                return await AdvanceOnAsync(record, phase, answers, batchSize, cancellationToken);
            }
            catch (ConcurrencyConflictException) when (attempt < CommitAttempts)
            {
                LogConflict(_logger, rotationId, phase);
            }
            catch (StepSuperseded)
            {
                return new RoundAdvance(await LoadAsync(rotationId, cancellationToken), null);
            }
        }
    }

    private async Task<RoundAdvance> AdvanceOnAsync(RotationRecord record, RotationPhase phase, RoundAnswers? answers, int batchSize, CancellationToken cancellationToken)
    {
        var step = _steps.For(record.Kind, phase);
        var state = record.Round is { } stored && stored.Belongs(record) ? stored : null;
        var dirty = false;
        StepContext context;
        CaInventory inventory;
        PhaseRound round;
        if (state is null)
        {
            if (await ClaimIfNeededAsync(record, phase, cancellationToken) is not { } claimed)
            {
                throw new ConcurrencyConflictException($"rotation '{record.Id}' changed before {phase} could claim its point of no return");
            }

            record = claimed;
            (context, inventory) = await ContextAsync(record, await targets.ResolveAsync(record.Domain, cancellationToken), estate: null, cancellationToken);
            LogStepStarting(_logger, record.Id, phase, context.TargetNames.Count);
            (round, _) = await GuardAsync(context, phase, () => step.BeginAsync(context, cancellationToken), cancellationToken);
        }
        else
        {
            (context, inventory) = await ContextAsync(record, [], state.Estate, cancellationToken);
            if (answers is not null && state.Planned(answers.Batch))
            {
                var parts = new SortedDictionary<string, TargetResult<TargetPart>>(state.Parts.ToDictionary(), StringComparer.Ordinal);
                foreach (var part in answers.Parts.Where(p => state.Targets.Contains(p.Target)))
                {
                    parts[part.Target] = part;
                }

                state = state with { Parts = parts };
                dirty = true;
            }

            round = new PhaseRound.Next(state.Round, state.Targets);
        }

        while (round is PhaseRound.Next next)
        {
            if (state is null || state.Round != next.Index)
            {
                state = new PhaseRoundState(phase, record.PhaseIndex, record.PlanGeneration, next.Index, context.TargetNames, next.Targets, new Dictionary<string, TargetResult<TargetPart>>(), context.Now);
                dirty = true;
            }

            if (state.Unanswered is { Count: > 0 } unanswered)
            {
                if (dirty)
                {
                    var updated = record with { Round = state, UpdatedAt = context.Now };
                    await store.CommitAsync(new ChangeSet { Rotation = updated }, cancellationToken);
                    record = updated with { Version = record.Version + 1 };
                }

                return new RoundAdvance(record, new RoundBatch(phase, record.PhaseIndex, record.PlanGeneration, state.Round, [.. unanswered.Take(batchSize)]));
            }

            var answered = state;
            (round, _) = await GuardAsync(context, phase, () => Task.FromResult(step.Reduce(context, next.Index, [.. answered.Targets.Select(t => answered.Parts[t])])), cancellationToken);
        }

        var committed = await CommitOutcomeAsync(context with { Record = record }, inventory, phase, round, cancellationToken)
            ?? throw new ConcurrencyConflictException($"rotation '{record.Id}' changed while {phase} was committed");
        return new RoundAdvance(committed, null);
    }

    /// <summary>
    /// One target's part of the batch's round: resolves only that target and loads any key it needs by reference
    /// itself. Null when the round is no longer current (the answer would be dropped anyway). A target that cannot be
    /// reached, or is no longer registered, is an answer (unavailable), not an exception; any other failure is thrown,
    /// so the host can retry this target alone.
    /// </summary>
    public async Task<TargetResult<TargetPart>?> RunOnTargetAsync(string rotationId, RoundBatch batch, string target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var record = await LoadAsync(rotationId, cancellationToken);
        if (record.Round is not { } state || !state.Belongs(record) || !state.Planned(batch))
        {
            return null;
        }

        if (await targets.ResolveOneAsync(record.Domain, target, cancellationToken) is not { } resolved)
        {
            return TargetResult.Unavailable<TargetPart>(target, $"no longer a target of trust domain '{record.Domain}'");
        }

        var inventory = new CaInventory(record.Domain, await store.ListAuthoritiesAsync(record.Domain, cancellationToken));
        var context = new StepContext(record, new RotationMaterial(record, inventory, custody), [resolved], time.GetUtcNow(), 1, Estate: state.Estate)
        {
            RecheckDriftBeforeWrite = true,
        };
        try
        {
            return TargetResult.Ok(target, await _steps.For(record.Kind, batch.Phase).RunOnTargetAsync(context, resolved, batch.Round, cancellationToken));
        }
        catch (TargetUnavailableException ex)
        {
            return TargetResult.Unavailable<TargetPart>(target, ex.Reason);
        }
    }
}
