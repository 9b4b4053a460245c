using Rotation.Core.Rotations.Engine;

namespace Rotation.Core.Rotations.Steps;

/// <summary>
/// Where a phase step stands: another round of per-target work (<see cref="Next"/>), or its outcome
/// (<see cref="Finished"/>). A step is a few rounds: reads every target needs before anyone writes (the cross-cluster
/// checks), then the writes, each round reduced to one decision before the next starts.
/// </summary>
public abstract record PhaseRound
{
    /// <summary>Run round <paramref name="Index"/> on <paramref name="Targets"/> (by name), then reduce.</summary>
    public sealed record Next(int Index, IReadOnlyList<string> Targets) : PhaseRound;

    public sealed record Finished(PhaseOutcome Outcome) : PhaseRound;

    public static PhaseRound Holding(string reason) => new Finished(new PhaseOutcome.Holding(PhaseOutcome.NoTargets, reason));
}
