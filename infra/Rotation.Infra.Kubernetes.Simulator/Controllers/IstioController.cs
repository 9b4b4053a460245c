using System.Text.Json.Nodes;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Controllers;

/// <summary>
/// istiod's namespace controller: publishes root-cert.pem from the plug-in CA secret (istio-system/cacerts) into
/// the istio-ca-root-cert ConfigMap of every namespace, after its propagation delay. Like istiod it skips the
/// Kubernetes system namespaces, and does nothing while there is no cacerts secret (istiod would self-sign).
/// </summary>
public sealed class IstioController : SimulatedMeshController
{
    private static readonly HashSet<string> SystemNamespaces = new(StringComparer.Ordinal) { "kube-system", "kube-public", "kube-node-lease", "local-path-storage" };

    public IstioController(KubeObjectStore store, MeshControllerOptions? options = null)
        : base(store, options)
    {
    }

    protected override bool IsRelevant(ObjectChangedEventArgs change) =>
        (change.Kind == ResourceKinds.Secrets && change.Namespace == IstioNames.Namespace && change.Name == IstioNames.CaSecret)
        || (change.Kind == ResourceKinds.Namespaces && change.Type == ObjectChangeType.Added)
        || (change.Kind == ResourceKinds.ConfigMaps && change.Name == IstioNames.RootConfigMap && change.Type != ObjectChangeType.Added);

    protected override void Reconcile()
    {
        var caSecret = Store.TryGet(ResourceKinds.Secrets, IstioNames.Namespace, IstioNames.CaSecret);
        if (caSecret is null)
        {
            return;
        }

        // istiod falls back to ca-cert.pem when the secret has no separate root (a self-signed plug-in CA).
        var root = KubeObjects.SecretText(caSecret, IstioNames.RootCertKey) ?? KubeObjects.SecretText(caSecret, IstioNames.CaCertKey);
        if (root is null)
        {
            return;
        }

        foreach (var ns in Store.List(ResourceKinds.Namespaces).Items.Select(n => KubeObjects.Name(n)!))
        {
            if (SystemNamespaces.Contains(ns))
            {
                continue;
            }

            try
            {
                Store.Upsert(ResourceKinds.ConfigMaps, ns, IstioNames.RootConfigMap, current =>
                {
                    var configMap = current ?? KubeObjects.New(ResourceKinds.ConfigMaps, ns, IstioNames.RootConfigMap);
                    var labels = KubeObjects.Metadata(configMap)["labels"] as JsonObject ?? [];
                    labels[IstioNames.ConfigLabel] = "true";
                    KubeObjects.Metadata(configMap)["labels"] = labels.DeepClone();
                    configMap["data"] = new JsonObject { [IstioNames.RootCertKey] = root };
                    return configMap;
                }, WriteScope.All);
            }
            catch (KubeApiException e) when (e.Code == 404)
            {
                // The namespace went away during the pass.
            }
        }
    }
}
