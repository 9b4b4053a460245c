using System.Globalization;
using System.Text.RegularExpressions;

namespace Rotation.Core.Authorities.Istio;

/// <summary>
/// The istiod release a Deployment runs, read from its discovery image tag (docker.io/istio/pilot:1.26.2,
/// …:1.27.0-beta.0, …:1.22.3-distroless) or given as the target option istiodVersion when the image is pinned by
/// digest or renamed. The reload rule of cacerts depends on it (see <see cref="IstiodReloadRule"/>).
/// </summary>
public sealed partial record IstiodVersion(int Major, int Minor, int Patch, string PreRelease)
{
    [GeneratedRegex(@"^v?(\d+)\.(\d+)(?:\.(\d+))?(?:-((?:alpha|beta|rc)\.?\d*))?", RegexOptions.IgnoreCase)]
    private static partial Regex Semver();

    public static IstiodVersion? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        var m = Semver().Match(text.Trim());
        if (!m.Success)
            return null;
        return new IstiodVersion(
            int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
            int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
            m.Groups[3].Success ? int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) : 0,
            m.Groups[4].Success ? m.Groups[4].Value.ToLowerInvariant() : "");
    }

    /// <summary>The tag of an image reference (registry/repo:tag), or null for a digest-only or untagged image.</summary>
    public static IstiodVersion? FromImage(string? image)
    {
        if (string.IsNullOrEmpty(image) || image.Contains('@', StringComparison.Ordinal))
            return null;
        var slash = image.LastIndexOf('/');
        var colon = image.LastIndexOf(':');
        return colon > slash ? Parse(image[(colon + 1)..]) : null;
    }

    public bool AtLeast(int major, int minor) => Major > major || (Major == major && Minor >= minor);

    public override string ToString() =>
        PreRelease.Length == 0 ? $"{Major}.{Minor}.{Patch}" : $"{Major}.{Minor}.{Patch}-{PreRelease}";
}
