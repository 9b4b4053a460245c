using Rotation.Core.Domain;
using Rotation.Core.Pki;

namespace Rotation.Core.Authorities;

/// <summary>
/// Short CA ids and vault key names derived from the certificate, so they are stable across re-runs and
/// unique without a counter: "root-" or "int-" plus the first 12 hex digits of the SHA-256 fingerprint.
/// </summary>
public static class CaIds
{
    private const int FingerprintDigits = 12;

    public static string For(CaRole role, Certificate certificate) =>
        $"{Prefix(role)}-{certificate.Sha256[..FingerprintDigits]}";

    /// <summary>The vault name of a CA's key, e.g. "mesh.example.internal-root-0123456789ab".</summary>
    public static string KeyName(string domain, string caId) => $"{domain}-{caId}";

    private static string Prefix(CaRole role) => role switch
    {
        CaRole.Root => "root",
        CaRole.Intermediate => "int",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };
}
