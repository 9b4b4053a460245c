using Rotation.Core.Domain;
using Rotation.Core.Pki;

namespace Rotation.Core.Authorities;

/// <summary>
/// CA ids and vault key names, stable across re-runs and unique without a counter: an adopted or initial CA's id is
/// "root-" or "int-" plus the first 12 hex digits of its SHA-256 fingerprint; a CA a rotation mints is named after
/// the rotation id, so a re-run of Prepare finds the same key before any certificate exists.
/// </summary>
public static class CaIds
{
    private const int FingerprintDigits = 12;

    public static string For(CaRole role, Certificate certificate) =>
        $"{Prefix(role)}-{certificate.Sha256[..FingerprintDigits]}";

    /// <summary>The vault name of a CA's key, e.g. "mesh.example.internal-root-0123456789ab".</summary>
    public static string KeyName(string domain, string caId) => $"{domain}-{caId}";

    /// <summary>The rotation id's unique tail ("rot-20261123-a1b2c3" → "20261123-a1b2c3"): it names the CAs the rotation mints.</summary>
    public static string GenerationOf(string rotationId) =>
        rotationId.StartsWith("rot-", StringComparison.Ordinal) ? rotationId[4..] : rotationId;

    /// <summary>The id of the root a rotation of <paramref name="generation"/> mints, the same on every re-run.</summary>
    public static string RotationRoot(string generation) => $"root-{generation}";

    /// <summary>The id of the intermediate a rotation of <paramref name="generation"/> mints, the same on every re-run.</summary>
    public static string RotationIntermediate(string generation) => $"int-{generation}";

    private static string Prefix(CaRole role) => role switch
    {
        CaRole.Root => "root",
        CaRole.Intermediate => "int",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };
}
