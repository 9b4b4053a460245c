using k8s.Models;
using Rotation.Infra.Kubernetes.Writing;

namespace Rotation.Infra.Kubernetes.Targets;

/// <summary>
/// Who else writes an object Rotation is about to write: a controller that would revert Rotation's write at its
/// next sync. Read from owner references, labels and annotations as the owners set them.
/// </summary>
internal static class OwnershipCheck
{
    /// <summary>cert-manager's Certificate: owner reference (--enable-certificate-owner-ref) or the annotation it always writes.</summary>
    public static string? CertManager(V1ObjectMeta? metadata) =>
        metadata?.OwnerReferences?.FirstOrDefault(o => o.Kind == "Certificate" && o.ApiVersion.StartsWith("cert-manager.io/", StringComparison.Ordinal)) is { } owner
            ? $"cert-manager Certificate {metadata.NamespaceProperty}/{owner.Name}"
            : metadata?.Annotations?.TryGetValue("cert-manager.io/certificate-name", out var name) == true
                ? $"cert-manager Certificate {metadata.NamespaceProperty}/{name}"
                : null;

    /// <summary>trust-manager writes its targets with the label trust.cert-manager.io/bundle and a Bundle owner reference (pkg/bundle/internal/target/target.go).</summary>
    public static string? TrustManager(V1ObjectMeta? metadata) =>
        metadata?.OwnerReferences?.FirstOrDefault(o => o.Kind is "Bundle" or "ClusterBundle") is { } owner
            ? $"trust-manager {owner.Kind} {owner.Name}"
            : metadata?.Labels?.TryGetValue("trust.cert-manager.io/bundle", out var bundle) == true
                ? $"trust-manager Bundle {bundle}"
                : null;

    /// <summary>Helm marks what a release owns with app.kubernetes.io/managed-by=Helm and meta.helm.sh/release-name.</summary>
    public static string? Helm(V1ObjectMeta? metadata)
    {
        if (metadata?.Annotations?.TryGetValue("meta.helm.sh/release-name", out var release) == true)
            return $"Helm release {release}";
        return metadata?.Labels?.TryGetValue(ManagedMetadata.ManagedByLabel, out var by) == true && by == "Helm" ? "Helm" : null;
    }
}
