using System.Text.RegularExpressions;

namespace Rotation.Core.Pki;

/// <summary>
/// The certificate blocks of a PEM text, each kept as its exact text, so a rewrite can preserve bytes (Istio's
/// cacerts watcher compares root-cert.pem as bytes, see Authorities/Istio/IstiodReloadRule).
/// </summary>
public static partial class PemBlocks
{
    [GeneratedRegex(@"-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\r?\n?")]
    private static partial Regex CertificateBlock();

    public sealed record Block(string Text, Certificate Certificate);

    /// <summary>Every certificate block with its text. Throws PkiException when a block is malformed.</summary>
    public static IReadOnlyList<Block> Of(string? text) =>
        string.IsNullOrEmpty(text)
            ? []
            : CertificateBlock().Matches(text).Select(m => new Block(m.Value, Certificate.FromPem(m.Value))).ToList();
}
