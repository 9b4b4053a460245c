using k8s.Models;
using Rotation.Core.Ports;

namespace Rotation.Infra.Kubernetes.Targets.Linkerd;

/// <summary>
/// Refuses objects another controller would revert. A linkerd-identity-issuer that cert-manager issues is re-issued
/// at once and Rotation's write is lost (and once the old root is retired, identity crash-loops on the issuer
/// cert-manager restores: a mesh-wide outage). A trust-roots ConfigMap that trust-manager, Helm or the Linkerd chart
/// (`linkerd install`, annotation linkerd.io/created-by from charts/partials/templates/_metadata.tpl; `linkerd
/// upgrade` re-renders it from the stored identityTrustAnchorsPEM) writes is reverted at the next sync or upgrade.
/// </summary>
internal static class LinkerdOwnership
{
    public static IEnumerable<PreflightCheck> Check(LinkerdTargetOptions options, V1ConfigMap? trustRoots, V1Secret? issuer)
    {
        var secretName = $"secret {options.Namespace}/{options.IssuerSecret}";
        var mapName = $"configmap {options.Namespace}/{options.TrustRootsConfigMap}";
        if (OwnershipCheck.CertManager(issuer?.Metadata) is { } certificate)
        {
            yield return new("issuer ownership", false,
                $"{secretName} is issued by {certificate}: cert-manager would revert Rotation's write at once. Rotate through cert-manager (register the cert-manager target for that Certificate's issuer), or hand it to Rotation: delete the Certificate (the Secret stays) and run the preflight again");
        }
        else if (OwnershipCheck.Helm(issuer?.Metadata) is { } helm)
        {
            yield return new("issuer ownership", false,
                $"{secretName} belongs to {helm}: the next helm upgrade renders it from identity.issuer.tls values and reverts Rotation's write. Install with identity.externalCA=true and an issuer Secret you create, or remove the Helm ownership (label app.kubernetes.io/managed-by, annotations meta.helm.sh/*)");
        }
        else
        {
            yield return new("issuer ownership", true, $"{secretName} is not owned by cert-manager or Helm");
        }

        var owner = OwnershipCheck.TrustManager(trustRoots?.Metadata) ?? OwnershipCheck.Helm(trustRoots?.Metadata)
            ?? (trustRoots?.Metadata?.Annotations?.TryGetValue("linkerd.io/created-by", out var by) == true ? $"the Linkerd chart ({by})" : null);
        yield return owner is null
            ? new("trust roots ownership", true, $"{mapName} is not written by trust-manager, Helm or the Linkerd chart")
            : new("trust roots ownership", false,
                $"{mapName} is written by {owner}, which reverts Rotation's write at its next sync or upgrade. Rotate through the owner (the trust-manager target for a Bundle), or install Linkerd with identity.externalCA=true so the chart leaves the ConfigMap to you, remove the owner's marks (owner reference, label app.kubernetes.io/managed-by, annotations meta.helm.sh/* and linkerd.io/created-by), and run the preflight again");
    }
}
