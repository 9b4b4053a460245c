using Rotation.Core.Pki;
using Rotation.Core.Rotations;
using Rotation.Drill.Estate;

namespace Rotation.Drill.Drills;

public enum NegativeControl
{
    /// <summary>`--naive`: root and issuer swapped at once, no overlap.</summary>
    NaiveSwap,
    /// <summary>`--wrong-order`: issue from the new intermediate before its root is trusted.</summary>
    WrongOrder,
}

/// <summary>
/// Rotations done wrong, driven straight on the targets (no engine), to prove the drill sees an outage when
/// there is one. Both must report failures, mostly UnknownAuthority.
/// </summary>
public static class NegativeControls
{
    public const string NaiveSwapPhase = "NaiveSwap";
    public const string NaiveSettlePhase = "NaiveSettle";
    public const string IssueBeforeTrustPhase = "IssueBeforeTrust";
    public const string DistributeTrustLatePhase = "DistributeTrustLate";

    /// <summary>Runs <paramref name="control"/> under a <see cref="DrillRunner"/> and returns its report.</summary>
    public static Task<DrillReport> RunAsync(NegativeControl control, SimulatedEstate estate, DrillAuthorities newCa, DrillOptions? options = null, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        var phases = new DrillPhaseTracker();
        var runner = new DrillRunner(estate, options, timeProvider);
        return runner.RunAsync(
            ct => control switch
            {
                NegativeControl.NaiveSwap => NaiveSwapAsync(estate, newCa, phases, timeProvider, ct),
                NegativeControl.WrongOrder => WrongOrderAsync(estate, newCa, phases, timeProvider, ct),
                _ => throw new ArgumentOutOfRangeException(nameof(control)),
            },
            phases,
            cancellationToken);
    }

    /// <summary>Bundle {new} and the new issuer applied to every cluster at once, one cluster after another a propagation delay apart.</summary>
    public static async Task NaiveSwapAsync(SimulatedEstate estate, DrillAuthorities newCa, DrillPhaseTracker phases, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        var sequence = new EstateSequence(estate, "negative-naive-swap", phases, timeProvider ?? TimeProvider.System);
        var newOnly = TrustBundle.Of(newCa.Root.Certificate);

        sequence.Enter(NaiveSwapPhase);
        await sequence.ApplyIssuerAsync(newCa.IssuerWith(newOnly), RotationPhase.SwitchIssuer, estate.Options.Cluster.PropagationDelay, cancellationToken);
        sequence.Enter(NaiveSettlePhase);
        await sequence.WaitForBundleAsync(newOnly, cancellationToken);
        await sequence.WaitForLeavesAsync(newCa.Intermediate.Certificate, cancellationToken);
    }

    /// <summary>The new intermediate issues while bundles still hold only the old root; the new root follows a leaf lifetime later.</summary>
    public static async Task WrongOrderAsync(SimulatedEstate estate, DrillAuthorities newCa, DrillPhaseTracker phases, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        var sequence = new EstateSequence(estate, "negative-wrong-order", phases, timeProvider ?? TimeProvider.System);
        var both = TrustBundle.Of(sequence.OriginalBundle.Append(newCa.Root.Certificate));

        sequence.Enter(IssueBeforeTrustPhase);
        await sequence.ApplyIssuerAsync(newCa.IssuerWith(sequence.OriginalBundle), RotationPhase.SwitchIssuer, TimeSpan.Zero, cancellationToken);
        await sequence.WaitForLeavesAsync(newCa.Intermediate.Certificate, cancellationToken);
        sequence.Enter(DistributeTrustLatePhase);
        await sequence.ApplyBundleAsync(both, RotationPhase.DistributeTrust, TimeSpan.Zero, cancellationToken);
        await sequence.WaitForBundleAsync(both, cancellationToken);
    }
}
