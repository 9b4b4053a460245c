namespace Rotation.Core.Rotations.Evidence;

/// <summary>
/// One target's part of a step: done (its write happened, or its evidence is in place) or not, and the one line an
/// operator reads about it. Whether the target is done is this flag, never read back out of the text.
/// </summary>
public sealed record TargetVerdict(bool Done, string Detail)
{
    /// <summary>Done; the detail reads "ok: …", as records and progress lines have always shown it.</summary>
    public static TargetVerdict Ok(string what) => new(true, $"ok: {what}");

    /// <summary>Not done, for <paramref name="reason"/>.</summary>
    public static TargetVerdict NotYet(string reason) => new(false, reason);

    public override string ToString() => Detail;
}
