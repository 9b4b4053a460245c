namespace Rotation.Core.Pki;

/// <summary>
/// How far before "now" every certificate Rotation mints starts to be valid (init, issue-leaf, rotations), so that a
/// peer whose clock runs a little behind does not reject a fresh CA or leaf as "not yet valid". One value everywhere.
/// </summary>
public static class Backdating
{
    public static readonly TimeSpan Default = TimeSpan.FromMinutes(5);

    /// <summary>Longer than this hides real clock trouble and widens the window of a leaked key: refuse it.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromHours(24);

    public static TimeSpan Validate(TimeSpan? backdate)
    {
        var value = backdate ?? Default;
        return value >= TimeSpan.Zero && value <= Max
            ? value
            : throw new PkiException($"backdate {value} is out of range: use 0s to 24h (default 5m)");
    }
}
