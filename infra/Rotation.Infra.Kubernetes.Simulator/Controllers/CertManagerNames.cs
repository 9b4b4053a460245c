namespace Rotation.Infra.Kubernetes.Simulator.Controllers;

/// <summary>cert-manager's names: the namespace ClusterIssuer secrets live in, and the annotations it writes.</summary>
public static class CertManagerNames
{
    public const string Namespace = "cert-manager";
    public const string CertificateNameAnnotation = "cert-manager.io/certificate-name";
    public const string IssuerNameAnnotation = "cert-manager.io/issuer-name";
    public const string IssuerKindAnnotation = "cert-manager.io/issuer-kind";
    public const string IssuerGroupAnnotation = "cert-manager.io/issuer-group";
    public const string Ready = "Ready";
    public const string Issuing = "Issuing";
}
