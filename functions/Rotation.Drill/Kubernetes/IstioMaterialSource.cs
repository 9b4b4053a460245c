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

/// <summary>
/// What istio-agent feeds a sidecar's Envoy, as security/pkg/nodeagent/cache/secretcache.go (istio/istio 86c9f01) does:
/// ROOTCA = the PCDS trust bundle (when the proxy runs with PROXY_CONFIG_XDS_AGENT and istiod with
/// ISTIO_MULTIROOT_MESH, pilot/pkg/xds/pcds.go) merged with the roots that came with the last certificate
/// (mergeConfigTrustBundle). Without PCDS a new root reaches Envoy only at the next certificate refresh ("If periodic
/// cert refresh resulted in discovery of a new root, trigger a ROOTCA request"); a PCDS push re-signs the workload
/// certificate at once (UpdateConfigTrustBundle clears the cached certificate). The istio-ca-root-cert ConfigMap is
/// only what the agent uses to reach istiod, not what Envoy validates peers with.
/// </summary>
public interface IIstioAgentSource
{
    /// <summary>The roots istiod serves now (with a CSR answer and in its PCDS push): the root-cert.pem it loaded.</summary>
    TrustBundle? IstiodRoots { get; }

    /// <summary>Whether proxies take PCDS pushes: PROXY_CONFIG_XDS_AGENT in the mesh config and multi-root on istiod.</summary>
    bool PcdsEnabled { get; }
}

/// <summary>The agent facts of a simulated cluster, read the way the agent and istiod read them (Go booleans).</summary>
public sealed class IstioAgentFacts(SimulatedKubeCluster cluster) : IIstioAgentSource
{
    private (string Text, TrustBundle Bundle)? _parsed;

    public TrustBundle? IstiodRoots
    {
        get
        {
            var text = cluster.Istio.HeldRootCertPem;
            if (string.IsNullOrWhiteSpace(text))
                return null;
            if (_parsed is { } cached && cached.Text == text)
                return cached.Bundle;
            var bundle = TrustBundle.FromPem(text, "istiod root-cert.pem");
            _parsed = (text, bundle);
            return bundle;
        }
    }

    public bool PcdsEnabled
    {
        get
        {
            var mesh = cluster.Store.TryGet(ResourceKinds.ConfigMaps, cluster.Istio.Layout.Namespace, cluster.Istio.Layout.MeshConfigMap);
            var text = mesh is null ? null : KubeObjects.ConfigMapText(mesh, IstioNames.MeshConfigKey) ?? "";
            var proxyOn = text is not null && System.Text.RegularExpressions.Regex.Match(text, IstioNames.PcdsEnv + @":\s*""?(\w+)""?") is { Success: true } m
                && m.Groups[1].Value is "1" or "t" or "T" or "TRUE" or "true" or "True";
            var istiod = cluster.Store.TryGet(ResourceKinds.Deployments, cluster.Istio.Layout.Namespace, cluster.Istio.Layout.IstiodDeployment);
            var multiRoot = istiod?["spec"]?["template"]?["spec"]?["containers"]?.AsArray()
                .SelectMany(c => c?["env"]?.AsArray() ?? [])
                .Any(e => KubeObjects.StringAt(e, "name") == IstioNames.MultiRootEnv && KubeObjects.StringAt(e, "value") is "1" or "t" or "T" or "TRUE" or "true" or "True") == true;
            return proxyOn && multiRoot;
        }
    }
}
