using System.Text.Json.Nodes;
using Rotation.Infra.Kubernetes.Simulator.Controllers;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator;

/// <summary>What one namespace trusts right now, per mesh, read from the API objects the meshes use.</summary>
public sealed record NamespaceTrust(
    string Namespace,
    string? IstioRootCertPem,
    IReadOnlyDictionary<string, string> LinkerdProxyTrustAnchorsByPod,
    IReadOnlyDictionary<string, string> BundlePemByName);

/// <summary>Reads trust as workloads would see it: istio-ca-root-cert, each meshed pod's proxy env, Bundle ConfigMaps.</summary>
public sealed class ClusterTrustView
{
    private readonly KubeObjectStore _store;

    public ClusterTrustView(KubeObjectStore store) => _store = store;

    public string? IstioRootCertPem(string @namespace) =>
        _store.TryGet(ResourceKinds.ConfigMaps, @namespace, IstioNames.RootConfigMap) is { } cm ? KubeObjects.ConfigMapText(cm, IstioNames.RootCertKey) : null;

    public string? LinkerdTrustRootsPem() =>
        _store.TryGet(ResourceKinds.ConfigMaps, LinkerdNames.Namespace, LinkerdNames.TrustRootsConfigMap) is { } cm ? KubeObjects.ConfigMapText(cm, LinkerdNames.TrustRootsKey) : null;

    /// <summary>Pod name → the trust anchors its linkerd-proxy was started with.</summary>
    public IReadOnlyDictionary<string, string> LinkerdProxyTrustAnchors(string @namespace)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pod in _store.List(ResourceKinds.Pods, @namespace).Items)
        {
            var proxy = (pod["spec"]?["containers"] as JsonArray)?.FirstOrDefault(c => KubeObjects.StringAt(c, "name") == LinkerdNames.ProxyContainer);
            var anchors = (proxy?["env"] as JsonArray)?.FirstOrDefault(e => KubeObjects.StringAt(e, "name") == LinkerdNames.TrustAnchorsEnv);
            if (anchors is not null)
            {
                result[KubeObjects.Name(pod)!] = KubeObjects.StringAt(anchors, "value") ?? "";
            }
        }

        return result;
    }

    /// <summary>Bundle name → the PEM its target ConfigMap holds in this namespace.</summary>
    public IReadOnlyDictionary<string, string> BundlePems(string @namespace)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var bundle in _store.List(ResourceKinds.Bundles).Items)
        {
            var name = KubeObjects.Name(bundle)!;
            var key = KubeObjects.StringAt(bundle, "spec", "target", "configMap", "key");
            if (key is not null && _store.TryGet(ResourceKinds.ConfigMaps, @namespace, name) is { } cm && KubeObjects.ConfigMapText(cm, key) is { } pem)
            {
                result[name] = pem;
            }
        }

        return result;
    }

    public NamespaceTrust Of(string @namespace) =>
        new(@namespace, IstioRootCertPem(@namespace), LinkerdProxyTrustAnchors(@namespace), BundlePems(@namespace));
}
