using Rotation.Core.Ports;
using Rotation.Core.Rotations.Engine;
using Rotation.Core.Rotations.Evidence;

namespace Rotation.Core.Rotations.Steps;

/// <summary>
/// Intermediate rotation's last step. No target holds the old intermediate as trust (roots are the anchors), so
/// there is nothing to write; what matters is that no live leaf was still issued by it (one read round).
/// </summary>
public sealed class RetireIntermediateStep : IPhaseStep
{
    public Task<PhaseRound> BeginAsync(StepContext context, CancellationToken cancellationToken) =>
        Task.FromResult<PhaseRound>(new PhaseRound.Next(0, context.TargetNames));

    public Task<TargetPart> RunOnTargetAsync(StepContext context, IRotationTarget target, int round, CancellationToken cancellationToken) =>
        TargetChecks.LeavesChainingToAsync(context, target, context.Material.OldRoot, context.Material.OldIntermediate, cancellationToken);

    public PhaseRound Reduce(StepContext context, int round, IReadOnlyList<TargetResult<TargetPart>> parts)
    {
        var material = context.Material;
        return TargetChecks.ReduceChecks(
                parts,
                $"cannot confirm that no leaf still chains to {material.OldRoot.Id}",
                (count, examples) => $"refusing to retire {material.OldIntermediate.Id}: {count} live leaf/leaves still chain to it, e.g. {examples}: wait until leaves have moved to the new CA, or abort",
                () => IssuedLeafEvidence.IssuedBy(context, material.OldIntermediate))
            ?? new PhaseRound.Finished(new PhaseOutcome.Done(PhaseOutcome.NoTargets, $"{material.OldIntermediate.Id} retired", []));
    }
}
