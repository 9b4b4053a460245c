namespace Rotation.Core.Rotations.Steps;

/// <summary>
/// One target's answer in one round of a phase step: small (lines and fingerprints, never certificates or keys), so
/// it can cross a Durable activity boundary and wait in the record for the other targets' answers.
/// </summary>
/// <param name="Done">This target's part of the round is in place (its write happened, its evidence is what the gate wants).</param>
/// <param name="Detail">The one line an operator reads about it.</param>
/// <param name="Hold">The target answered but could not show the evidence the round needs: the step holds with this.</param>
/// <param name="Unsafe">What the target shows that makes the phase's write unsafe (a store lacking the root, a live leaf), a few examples.</param>
/// <param name="UnsafeCount">How many such findings in all.</param>
/// <param name="CannotRead">The target's content could not be read for the drift check: the step holds with this.</param>
/// <param name="Drift">The drift findings on this target (the first; <paramref name="DriftCount"/> says how many).</param>
/// <param name="TimeRuleAt">Leaf gates: the target cannot show its leaves and the time rule is met then; null when evidence decides.</param>
/// <param name="EvidenceHolds">Leaf gates: evidence (not only the clock) holds this target.</param>
public sealed record TargetPart(
    bool Done,
    string Detail,
    string? Hold = null,
    IReadOnlyList<string>? Unsafe = null,
    int UnsafeCount = 0,
    string? CannotRead = null,
    string? Drift = null,
    int DriftCount = 0,
    DateTimeOffset? TimeRuleAt = null,
    bool EvidenceHolds = false)
{
    /// <summary>This target's part of the round is in place (read as wanted, or written).</summary>
    public static TargetPart InPlace(string detail) => new(true, detail);
}
