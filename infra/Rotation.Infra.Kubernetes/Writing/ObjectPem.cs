using Rotation.Core.Pki;

namespace Rotation.Infra.Kubernetes.Writing;

/// <summary>
/// PEM as it sits in Kubernetes objects: blocks kept as their exact text, so a rewrite can preserve bytes, and compared
/// by fingerprint. Encoding and decoding PEM itself is Core's (Pem, PemBlocks); this only reads objects' values.
/// </summary>
internal static class ObjectPem
{
    /// <summary>Every certificate block with its text. Throws PkiException when a block is malformed.</summary>
    public static IReadOnlyList<PemBlocks.Block> Blocks(string? text) => PemBlocks.Of(text);

    /// <summary>Distinct fingerprints of the certificates in <paramref name="text"/>; null with a reason when unreadable.</summary>
    public static (IReadOnlyCollection<string>? Fingerprints, string? Error) TryFingerprints(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return ([], null);
        try
        {
            return (Pem.ReadCertificates(text).Select(c => c.Sha256).Distinct().ToList(), null);
        }
        catch (PkiException ex)
        {
            return (null, ex.Message);
        }
    }

    public static bool SameSet(string? text, TrustBundle bundle)
    {
        var (fingerprints, _) = TryFingerprints(text);
        return fingerprints is not null && fingerprints.ToHashSet().SetEquals(bundle.Fingerprints);
    }

    public static bool SameCertificates(string? text, IEnumerable<Certificate> certificates)
    {
        try
        {
            return !string.IsNullOrWhiteSpace(text) && Pem.ReadCertificates(text).Select(c => c.Sha256).SequenceEqual(certificates.Select(c => c.Sha256));
        }
        catch (PkiException)
        {
            return false;
        }
    }

    /// <summary>"roots=ab12…,cd34…" style summary of a PEM text for the previous-content annotation.</summary>
    public static string Summary(string label, string? text)
    {
        var (fingerprints, error) = TryFingerprints(text);
        if (fingerprints is null)
            return $"{label}=unreadable";
        return $"{label}={string.Join(",", fingerprints.Select(f => f[..16]))}";
    }
}
