using Rotation.Core.Expiry;
using Rotation.Core.Pki;

namespace Rotation.Core.Authorities.External;

/// <summary>
/// Where certificates Rotation does not manage were read: a bundle file, or a registered cluster of a domain.
/// <see cref="Source"/> and <see cref="SubjectPrefix"/> shape the CloudEvents a scan of them emits.
/// </summary>
public sealed record ExternalScope(string? Cluster, string? Domain)
{
    public static ExternalScope Bundle { get; } = new(null, null);

    public static ExternalScope OfCluster(string cluster, string domain) => new(cluster, domain);

    /// <summary>A cluster's events belong to its domain ("/rotation/domains/D/clusters/C"); a bundle's to no domain.</summary>
    public string Source => Cluster is null ? "/rotation/bundles" : $"{ExpiryEvents.SourceFor(Domain!)}/clusters/{Cluster}";

    /// <summary>Event subjects: "clusters/C/OBJECT" or "bundles/FILE".</summary>
    public string SubjectFor(string location) => Cluster is null ? $"bundles/{location}" : $"clusters/{Cluster}/{location}";
}

/// <summary>One certificate as found: the object (and key) it was read from, e.g. "secret istio-system/cacerts ca-cert.pem".</summary>
public sealed record FoundCertificate(string Location, Certificate Certificate);

/// <summary>A found certificate judged by the expiry policy as the layer it was classified as (<see cref="CertificateLayers"/>).</summary>
public sealed record ExternalCertificateRow(
    ExternalScope Scope,
    string Location,
    CertificateLayer Layer,
    Certificate Certificate,
    ExpiryAssessment Assessment)
{
    public string Subject => Scope.SubjectFor(Location);
}

/// <summary>The result of scanning external certificates: every one found, with its verdict, and the events recorded.</summary>
public sealed record ExternalScanResult(IReadOnlyList<ExternalCertificateRow> Rows, IReadOnlyList<string> Problems, IReadOnlyList<Events.CloudEvent> Events);
