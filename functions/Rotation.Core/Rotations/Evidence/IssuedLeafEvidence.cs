using System.Globalization;
using Rotation.Core.Domain;
using Rotation.Core.Rotations.Engine;

namespace Rotation.Core.Rotations.Evidence;

/// <summary>
/// The leaves Rotation issued itself (<c>rotation issue-leaf</c>) as leaf-gate evidence. No target shows them, so
/// without this the time rule alone would retire a CA under a 72 h leaf it issued an hour ago. A live leaf (not
/// expired, not forgotten) that still needs the CA being left holds the gate until it expires, naming it; the
/// operator's way out is <c>rotation leaf forget SERIAL</c> for a leaf no longer in use.
/// </summary>
public static class IssuedLeafEvidence
{
    private const int LeavesNamed = 5;

    /// <summary>A hold when a live recorded leaf was issued by a CA other than <paramref name="expectedIssuer"/>; null when none is.</summary>
    public static PhaseOutcome.Holding? NotIssuedBy(StepContext context, CertificateAuthority expectedIssuer) =>
        Hold(context, l => l.IssuerId != expectedIssuer.Id, $"not issued by {expectedIssuer.Id}");

    /// <summary>A hold when a live recorded leaf was issued by <paramref name="issuer"/>; null when none is.</summary>
    public static PhaseOutcome.Holding? IssuedBy(StepContext context, CertificateAuthority issuer) =>
        Hold(context, l => l.IssuerId == issuer.Id, $"issued by {issuer.Id}");

    /// <summary>A hold when a live recorded leaf chains to <paramref name="root"/> (its issuer's parent); null when none does.</summary>
    public static PhaseOutcome.Holding? ChainingTo(StepContext context, CertificateAuthority root) =>
        Hold(context, l => context.Material.Inventory.Find(l.IssuerId)?.ParentId == root.Id, $"chaining to {root.Id}");

    /// <summary>The recorded leaves that hold a gate, in the words status and the gate reason use.</summary>
    public static string Describe(IssuedLeaf leaf) =>
        $"serial {leaf.Serial} ({leaf.Subject}, issued by {leaf.IssuerId}, notAfter {leaf.NotAfter.ToUniversalTime().ToString("u", CultureInfo.InvariantCulture)})";

    private static PhaseOutcome.Holding? Hold(StepContext context, Func<IssuedLeaf, bool> needsOldCa, string what)
    {
        var live = context.IssuedLeaves.Where(l => l.IsLiveAt(context.Now) && needsOldCa(l)).OrderBy(l => l.NotAfter).ToList();
        if (live.Count == 0)
        {
            return null;
        }

        var releasesAt = live.Max(l => l.NotAfter);
        var named = string.Join("; ", live.Take(LeavesNamed).Select(Describe));
        var more = live.Count > LeavesNamed ? $" and {live.Count - LeavesNamed} more" : string.Empty;
        var reason = $"{live.Count} live leaf/leaves from 'rotation issue-leaf' {what}: {named}{more}; the gate releases when they expire "
            + $"({releasesAt.ToUniversalTime().ToString("u", CultureInfo.InvariantCulture)}), or run 'rotation leaf forget SERIAL' for each one no longer in use";
        return new PhaseOutcome.Holding(PhaseOutcome.NoTargets, reason, releasesAt);
    }
}
