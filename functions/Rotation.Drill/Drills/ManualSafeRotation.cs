using Rotation.Core.Pki;
using Rotation.Core.Rotations;
using Rotation.Drill.Estate;

namespace Rotation.Drill.Drills;

/// <summary>
/// The safe order applied by hand, without the engine: distribute {old, new} and wait until every workload has it,
/// switch the issuer and wait until every leaf moved, then retire the old root. The positive control of the drill.
/// </summary>
public static class ManualSafeRotation
{
    public static async Task RunAsync(SimulatedEstate estate, DrillAuthorities newCa, DrillPhaseTracker phases, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        var sequence = new EstateSequence(estate, "manual-safe-order", phases, timeProvider ?? TimeProvider.System);
        var both = TrustBundle.Of(sequence.OriginalBundle.Append(newCa.Root.Certificate));
        var newOnly = TrustBundle.Of(newCa.Root.Certificate);

        sequence.Enter(nameof(RotationPhase.DistributeTrust));
        await sequence.ApplyBundleAsync(both, RotationPhase.DistributeTrust, TimeSpan.Zero, cancellationToken);
        sequence.Enter(nameof(RotationPhase.VerifyTrust));
        await sequence.WaitForBundleAsync(both, cancellationToken);

        sequence.Enter(nameof(RotationPhase.SwitchIssuer));
        await sequence.ApplyIssuerAsync(newCa.IssuerWith(both), RotationPhase.SwitchIssuer, TimeSpan.Zero, cancellationToken);
        sequence.Enter(nameof(RotationPhase.VerifyLeaves));
        await sequence.WaitForLeavesAsync(newCa.Intermediate.Certificate, cancellationToken);

        sequence.Enter(nameof(RotationPhase.RetireOldRoot));
        await sequence.ApplyBundleAsync(newOnly, RotationPhase.RetireOldRoot, TimeSpan.Zero, cancellationToken);
        sequence.Enter(nameof(RotationPhase.VerifyRetired));
        await sequence.WaitForBundleAsync(newOnly, cancellationToken);
    }
}
