using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Drill.Estate;

namespace Rotation.Drill.Drills;

/// <summary>Writes applied straight to every cluster of an estate, in cluster order, with the waits that go with them.</summary>
internal sealed class EstateSequence(SimulatedEstate estate, string rotationId, DrillPhaseTracker phases, TimeProvider timeProvider)
{
    public IReadOnlyList<IRotationTarget> Targets { get; } = estate.Clusters.Cast<IRotationTarget>().ToList();

    /// <summary>The roots every cluster started from (the drill estate starts uniform).</summary>
    public TrustBundle OriginalBundle { get; } = estate.Clusters[0].ControlPlaneBundle;

    private SimulatedClusterOptions Physics => estate.Options.Cluster;

    /// <summary>Generous: the physics plus room for a busy 2-core machine.</summary>
    public TimeSpan SettleTimeout => (Physics.MaxPropagation * estate.Clusters.Count) + Physics.MaxLeafLifetime + TimeSpan.FromSeconds(30);

    public void Enter(string phase) => phases.Set(phase);

    public async Task ApplyBundleAsync(TrustBundle bundle, RotationPhase phase, TimeSpan pauseBetweenClusters, CancellationToken cancellationToken)
    {
        foreach (var cluster in estate.Clusters)
        {
            await cluster.ApplyTrustBundleAsync(bundle, new RotationWriteContext(rotationId, phase), cancellationToken);
            await PauseAsync(pauseBetweenClusters, cancellationToken);
        }
    }

    public async Task ApplyIssuerAsync(IssuerMaterial issuer, RotationPhase phase, TimeSpan pauseBetweenClusters, CancellationToken cancellationToken)
    {
        foreach (var cluster in estate.Clusters)
        {
            await cluster.ApplyIssuerAsync(issuer, new RotationWriteContext(rotationId, phase), cancellationToken);
            await PauseAsync(pauseBetweenClusters, cancellationToken);
        }
    }

    public Task WaitForBundleAsync(TrustBundle bundle, CancellationToken cancellationToken) =>
        EstateGates.WaitForBundleAsync(Targets, bundle, SettleTimeout, timeProvider, cancellationToken);

    public Task WaitForLeavesAsync(Certificate issuer, CancellationToken cancellationToken) =>
        EstateGates.WaitForLeavesAsync(Targets, issuer, SettleTimeout, timeProvider, cancellationToken);

    private Task PauseAsync(TimeSpan pause, CancellationToken cancellationToken) =>
        pause > TimeSpan.Zero ? Task.Delay(pause, timeProvider, cancellationToken) : Task.CompletedTask;
}
