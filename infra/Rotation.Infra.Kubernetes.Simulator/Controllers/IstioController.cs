using System.Text.Json.Nodes;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Controllers;

/// <summary>
/// istiod with a plug-in CA (istio-system/cacerts). At startup, and whenever the istiod Deployment's pod template
/// changes (a restart), it loads the whole secret. While running it follows istiod's cacerts watcher
/// (pilot/pkg/bootstrap/istio_ca.go, handleEvent): when root-cert.pem's bytes are unchanged it skips the update,
/// even if ca-cert.pem changed, so a new intermediate under the same roots waits for a restart; when they changed it
/// accepts them only with ISTIO_MULTIROOT_MESH=true on istiod and only if one text contains the other, otherwise it
/// keeps the old CA ("Updating new ROOT-CA not supported"). The root it holds is published to the
/// istio-ca-root-cert ConfigMap (label istio.io/config=true) of every namespace except the Kubernetes system ones.
/// A CA that does not verify against its root-cert.pem is refused. Nothing happens without a cacerts secret.
/// </summary>
public sealed class IstioController : SimulatedMeshController
{
    private static readonly HashSet<string> SystemNamespaces = new(StringComparer.Ordinal) { "kube-system", "kube-public", "kube-node-lease", "local-path-storage" };
    private LoadedSigningCa? _loadedCa;
    private string? _caLoadError;
    private string? _heldRoot;
    private string? _istiodTemplateHash;
    private string? _lastDecision;

    public IstioController(KubeObjectStore store, MeshControllerOptions? options = null)
        : base(store, options)
    {
    }

    /// <summary>The plug-in CA istiod signs workload certificates with (for a drill's simulated workloads).</summary>
    public LoadedSigningCa? LoadedCa => Volatile.Read(ref _loadedCa);

    /// <summary>The root-cert.pem text istiod holds and publishes.</summary>
    public string? HeldRootCertPem => Volatile.Read(ref _heldRoot);

    /// <summary>Why the current cacerts were refused (istiod keeps the previous CA), or null.</summary>
    public string? CaLoadError => Volatile.Read(ref _caLoadError);

    /// <summary>What istiod did with cacerts on its last pass, in its own terms (for drill reports).</summary>
    public string? LastDecision => Volatile.Read(ref _lastDecision);

    protected override bool IsRelevant(ObjectChangedEventArgs change) =>
        (change.Kind == ResourceKinds.Secrets && change.Namespace == IstioNames.Namespace && change.Name == IstioNames.CaSecret)
        || (change.Kind == ResourceKinds.Deployments && change.Namespace == IstioNames.Namespace && change.Name == IstioNames.IstiodDeployment)
        || (change.Kind == ResourceKinds.Namespaces && change.Type == ObjectChangeType.Added)
        || (change.Kind == ResourceKinds.ConfigMaps && change.Name == IstioNames.RootConfigMap && change.Type != ObjectChangeType.Added);

    protected override void Reconcile()
    {
        var istiod = Store.TryGet(ResourceKinds.Deployments, IstioNames.Namespace, IstioNames.IstiodDeployment);
        var templateHash = istiod is null ? null : WorkloadController.TemplateHash(istiod["spec"]?["template"]);
        var caSecret = Store.TryGet(ResourceKinds.Secrets, IstioNames.Namespace, IstioNames.CaSecret);
        var root = caSecret is null ? null : KubeObjects.SecretText(caSecret, IstioNames.RootCertKey) ?? KubeObjects.SecretText(caSecret, IstioNames.CaCertKey);
        if (caSecret is not null && root is not null)
        {
            var held = _heldRoot;
            if (held is null || templateHash != _istiodTemplateHash)
            {
                Load(caSecret, root, "loaded cacerts at startup");
                _istiodTemplateHash = templateHash;
            }
            else if (root == held)
            {
                Volatile.Write(ref _lastDecision, "No changes detected in root cert, skipping update");
            }
            else if (IsMultiRoot(istiod) && (root.Contains(held, StringComparison.Ordinal) || held.Contains(root, StringComparison.Ordinal)))
            {
                Load(caSecret, root, "reloaded cacerts with the new root bundle");
            }
            else
            {
                Volatile.Write(ref _caLoadError, "Updating new ROOT-CA not supported: istiod keeps the old CA until it restarts (needs ISTIO_MULTIROOT_MESH=true and a root-cert.pem that contains the old one)");
                Volatile.Write(ref _lastDecision, "refused the new root-cert.pem");
            }
        }

        if (_heldRoot is not null)
        {
            Publish(_heldRoot);
        }
    }

    private static bool IsMultiRoot(JsonObject? istiod) =>
        (istiod?["spec"]?["template"]?["spec"]?["containers"] as JsonArray)?
            .SelectMany(c => (c?["env"] as JsonArray)?.OfType<JsonObject>() ?? [])
            .Any(e => KubeObjects.StringAt(e, "name") == IstioNames.MultiRootEnv && KubeObjects.StringAt(e, "value") == "true") == true;

    /// <summary>istiod verifies ca-cert.pem (with cert-chain.pem) against root-cert.pem before it signs with it.</summary>
    private void Load(JsonObject caSecret, string root, string decision)
    {
        var caCert = KubeObjects.SecretText(caSecret, IstioNames.CaCertKey);
        var chain = caCert is null ? null : caCert.TrimEnd() + "\n" + (KubeObjects.SecretText(caSecret, IstioNames.CertChainKey) ?? "");
        var (loaded, error) = SigningCaLoader.Load(
            chain, KubeObjects.SecretText(caSecret, IstioNames.CaKeyKey), root, Time.GetUtcNow(), $"secret {IstioNames.Namespace}/{IstioNames.CaSecret}");
        Volatile.Write(ref _caLoadError, error);
        if (loaded is null)
        {
            Volatile.Write(ref _lastDecision, "refused cacerts: " + error);
            return;
        }

        Volatile.Write(ref _loadedCa, loaded);
        Volatile.Write(ref _heldRoot, root);
        Volatile.Write(ref _lastDecision, decision);
    }

    private void Publish(string root)
    {
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
