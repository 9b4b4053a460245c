using Rotation.Core.Domain;
using Rotation.Infra.Kubernetes.Targets.AksIstio;
using Rotation.Infra.Kubernetes.Targets.CertManager;
using Rotation.Infra.Kubernetes.Targets.Istio;
using Rotation.Infra.Kubernetes.Targets.Linkerd;
using Rotation.Infra.Kubernetes.Targets.TrustManager;

namespace Rotation.Infra.Kubernetes.Targets;

/// <summary>The Kubernetes objects a target writes, named from its options alone (no API call): what two registrations may not share.</summary>
public static class TargetObjects
{
    public static IReadOnlyList<string> Of(TargetSpec spec) => spec.Kind switch
    {
        IstioPluginCaTarget.KindName => IstioTargetOptions.From(spec) is var istio ? [$"secret {istio.Namespace}/{istio.Secret}"] : [],
        // The synced cacerts is the CSI driver's, but an istio target there would fight it; the vault secrets are what is written.
        AksIstioPluginCaTarget.KindName => AksIstioTargetOptions.From(spec) is var aks
            ? [$"secret {aks.Istio.Namespace}/{aks.Istio.Secret}", .. aks.ObjectNames.Select(n => $"key vault {aks.KeyVault.Host} secret {n.ToLowerInvariant()}")]
            : [],
        LinkerdTarget.KindName => LinkerdTargetOptions.From(spec, 1) is var linkerd
            ? [$"configmap {linkerd.Namespace}/{linkerd.TrustRootsConfigMap}", $"secret {linkerd.Namespace}/{linkerd.IssuerSecret}"]
            : [],
        CertManagerCaIssuerTarget.KindName => CertManagerTargetOptions.From(spec) is var cm
            ? [cm.IssuerKind == "ClusterIssuer" ? $"ClusterIssuer {cm.IssuerName}" : $"Issuer {cm.Namespace}/{cm.IssuerName}"]
            : [],
        TrustManagerTarget.KindName => TrustManagerTargetOptions.From(spec) is var tm
            ? [$"{(tm.SourceKind == "Secret" ? "secret" : "configmap")} {tm.TrustNamespace}/{tm.SourceName}"]
            : [],
        _ => [],
    };
}
