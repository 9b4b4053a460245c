using Rotation.Core.Rotations.Engine;

namespace Rotation.Core.Rotations.Steps;

/// <summary>
/// Intermediate rotation's last step. No target holds the old intermediate as trust (roots are the anchors), so
/// there is nothing to write; what matters is that no live leaf was still issued by it.
/// </summary>
public sealed class RetireIntermediateStep : IPhaseStep
{
    public async Task<PhaseOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        var material = context.Material;
        if (await SafetyChecks.EnsureNoLeafChainsToAsync(context, material.OldRoot, material.OldIntermediate, cancellationToken) is { } cannotCheck)
        {
            return new PhaseOutcome.Holding(PhaseOutcome.NoTargets, cannotCheck);
        }

        if (Evidence.IssuedLeafEvidence.IssuedBy(context, material.OldIntermediate) is { } recordedLeaves)
        {
            return recordedLeaves;
        }

        return new PhaseOutcome.Done(PhaseOutcome.NoTargets, $"{material.OldIntermediate.Id} retired", []);
    }
}
