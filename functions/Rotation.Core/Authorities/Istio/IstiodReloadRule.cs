using Rotation.Core.Pki;

namespace Rotation.Core.Authorities.Istio;

/// <summary>
/// Whether a running istiod's cacerts file watcher loads a new root-cert.pem in place, per release. Read from
/// pilot/pkg/bootstrap/istio_ca.go, handleEvent, at these tags of istio/istio:
/// <list type="bullet">
/// <item>1.19.0 (3b3ca8ec): any change of root-cert.pem bytes is refused ("Updating new ROOT-CA not supported");
/// equal bytes go on to UpdateVerifiedKeyCertBundleFromFile, so a new intermediate loads in place.</item>
/// <item>1.20.0 (6869a6c2) … 1.29.x (1.29.0 b155e9e7; 1.22.0 aaf597fb, 1.26.0 c2e9871f): changed bytes need
/// ISTIO_MULTIROOT_MESH ("Multi root is disabled, updating new ROOT-CA not supported") and
/// bytes.Contains(current, new) || bytes.Contains(new, current); equal bytes reload in place.</item>
/// <item>1.27.0-beta.0 (3e8dafb8) and 1.27.0-rc.0 (9af4fc42) only: equal root-cert.pem and CRL bytes return early
/// ("No changes detected in root cert or CRL file data, skipping update"); removed again in 1.27.0 (970a6344,
/// "cacerts file watcher bug").</item>
/// <item>1.30.0-beta.0 (5d0970e9) and later (1.30.0 badd809e, master 86c9f01): the text rule becomes
/// pemBundleHasSubsetRelation: the sets of DER certificates, one a superset of the other, both non-empty
/// (046d9df3, #59909). Equal bytes reload in place.</item>
/// </list>
/// A refusal keeps the old CA with one log line: istiod must be restarted to load the new files.
/// </summary>
public sealed record IstiodReloadRule(IstiodVersion Version, bool MultiRoot)
{
    /// <summary>The pilot env var that turns on multi-root trust (pilot/pkg/features).</summary>
    public const string MultiRootEnv = "ISTIO_MULTIROOT_MESH";

    /// <summary>What the Istio target assumes when istiod's version cannot be read: the strictest GA rule.</summary>
    public static IstiodVersion FallbackVersion { get; } = new(1, 20, 0, "");

    public bool RefusesEveryRootChange => !Version.AtLeast(1, 20);

    public bool UsesCertificateSets => Version.AtLeast(1, 31) || (Version is { Major: 1, Minor: 30 } && !Version.PreRelease.StartsWith("alpha", StringComparison.Ordinal));

    public bool SkipsEqualBytes => Version is { Major: 1, Minor: 27, Patch: 0, PreRelease: "beta.0" or "rc.0" };

    /// <summary>Null when istiod loads <paramref name="next"/> in place over <paramref name="current"/>; otherwise the line istiod logs.</summary>
    public string? Refusal(string current, string next)
    {
        if (string.Equals(current, next, StringComparison.Ordinal))
            return SkipsEqualBytes ? "No changes detected in root cert or CRL file data, skipping update" : null;
        if (RefusesEveryRootChange)
            return "Updating new ROOT-CA not supported";
        if (!MultiRoot)
            return "Multi root is disabled, updating new ROOT-CA not supported";
        var related = UsesCertificateSets
            ? HasSubsetRelation(current, next)
            : current.Contains(next, StringComparison.Ordinal) || next.Contains(current, StringComparison.Ordinal);
        return related ? null : "Updating new ROOT-CA not supported";
    }

    public string Describe() =>
        RefusesEveryRootChange ? $"istiod {Version} reloads cacerts only while root-cert.pem stays byte-identical"
        : UsesCertificateSets ? $"istiod {Version} reloads a root-cert.pem whose certificates are a subset or superset of the loaded ones (with {MultiRootEnv})"
        : $"istiod {Version} reloads a root-cert.pem whose text contains, or is contained in, the loaded text (with {MultiRootEnv})";

    private static bool HasSubsetRelation(string a, string b)
    {
        try
        {
            var setA = PemBlocks.Of(a).Select(x => x.Certificate.Sha256).ToHashSet(StringComparer.Ordinal);
            var setB = PemBlocks.Of(b).Select(x => x.Certificate.Sha256).ToHashSet(StringComparer.Ordinal);
            return setA.Count > 0 && setB.Count > 0 && (setA.IsSupersetOf(setB) || setB.IsSupersetOf(setA));
        }
        catch (PkiException)
        {
            return false;
        }
    }
}
