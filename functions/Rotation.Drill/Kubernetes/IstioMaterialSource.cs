using System.Collections.Concurrent;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Drill.Estate;
using Rotation.Infra.Kubernetes.Simulator;
using Rotation.Infra.Kubernetes.Simulator.Controllers;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Drill.Kubernetes;

/// <summary>
/// A simulated Istio cluster as its sidecars see it: the bundle is the namespace's istio-ca-root-cert ConfigMap (what
/// the kubelet mounts into the proxy), the issuer is the CA istiod has actually loaded, which may lag behind or refuse
/// what the rotation wrote into cacerts.
/// </summary>
public sealed class IstioMaterialSource(SimulatedKubeCluster cluster) : IClusterMaterialSource
{
    private readonly ConcurrentDictionary<string, (string Text, TrustBundle Bundle)> _parsed = new(StringComparer.Ordinal);

    public TrustBundle? BundleFor(string workloadNamespace)
    {
        var configMap = cluster.Store.TryGet(ResourceKinds.ConfigMaps, workloadNamespace, IstioNames.RootConfigMap);
        var text = configMap is null ? null : KubeObjects.ConfigMapText(configMap, IstioNames.RootCertKey);
        if (string.IsNullOrWhiteSpace(text))
            return null;
        if (_parsed.TryGetValue(workloadNamespace, out var cached) && cached.Text == text)
            return cached.Bundle;
        var bundle = TrustBundle.FromPem(text, $"configmap {workloadNamespace}/{IstioNames.RootConfigMap}");
        _parsed[workloadNamespace] = (text, bundle);
        return bundle;
    }

    public IssuerMaterial? CurrentIssuer => cluster.Istio.LoadedCa is { } ca ? new IssuerMaterial(ca.Ca, ca.Chain, ca.Roots) : null;
}
