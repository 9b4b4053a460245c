using System.Collections;

namespace Rotation.Core.Pki;

/// <summary>
/// A set of trust anchors. Deduplicated by SHA-256 fingerprint and kept in a stable order
/// (NotBefore, then fingerprint) so the same set always renders to the same bytes and idempotent writes compare equal.
/// </summary>
public sealed partial class TrustBundle : IReadOnlyCollection<Certificate>
{
    public static TrustBundle Empty { get; } = new([]);

    private readonly IReadOnlyList<Certificate> _anchors;

    private TrustBundle(IReadOnlyList<Certificate> anchors) => _anchors = anchors;

    public static TrustBundle Of(IEnumerable<Certificate> anchors) =>
        new(anchors
            .DistinctBy(anchor => anchor.Sha256, StringComparer.Ordinal)
            .OrderBy(anchor => anchor.NotBefore)
            .ThenBy(anchor => anchor.Sha256, StringComparer.Ordinal)
            .ToList());
    public static TrustBundle Of(params Certificate[] anchors) => Of((IEnumerable<Certificate>)anchors);

    /// <summary>Reads a PEM bundle; throws PkiException when it holds no certificate or a malformed block.</summary>
    public static TrustBundle FromPem(string pem, string sourceName = "bundle") => Of(Pem.ReadCertificates(pem, sourceName));

    public int Count => _anchors.Count;
    public IReadOnlyList<string> Fingerprints => _anchors.Select(a => a.Sha256).ToList();
    public bool Contains(string sha256) => _anchors.Any(a => a.Sha256 == sha256);
    public bool Contains(Certificate anchor) => Contains(anchor.Sha256);
    public TrustBundle With(Certificate anchor) => Of(_anchors.Append(anchor));
    public TrustBundle Without(string sha256) => Of(_anchors.Where(a => a.Sha256 != sha256));
    public bool SetEquals(TrustBundle other) => Fingerprints.SequenceEqual(other.Fingerprints);
    public string ToPem() => Pem.WriteCertificates(_anchors);

    public IEnumerator<Certificate> GetEnumerator() => _anchors.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
