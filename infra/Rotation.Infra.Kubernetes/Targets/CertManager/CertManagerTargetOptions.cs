using Rotation.Core.Domain;

namespace Rotation.Infra.Kubernetes.Targets.CertManager;

/// <summary>
/// A cert-manager CA Issuer or ClusterIssuer. <see cref="Namespace"/> is the Issuer's namespace, or for a
/// ClusterIssuer cert-manager's cluster resource namespace (where its secret lives). With CertificateCaTrust
/// "report" every issued Certificate's ca.crt counts as a trust store; "ignore" when workloads take trust from
/// trust-manager instead (required for root rotations: cert-manager writes a single root into ca.crt).
/// </summary>
public sealed record CertManagerTargetOptions(string IssuerKind, string IssuerName, string Namespace, bool ReportCertificateCaTrust)
{
    public static readonly IReadOnlyList<string> Keys = ["issuerKind", "issuerName", "namespace", "certificateCaTrust"];

    public static CertManagerTargetOptions From(TargetSpec spec)
    {
        var options = new TargetOptionReader(spec);
        return new CertManagerTargetOptions(
            options.OneOf("issuerKind", "ClusterIssuer", "ClusterIssuer", "Issuer"),
            options.Required("issuerName"),
            options.Get("namespace", "cert-manager"),
            options.OneOf("certificateCaTrust", "report", "report", "ignore") == "report");
    }
}
