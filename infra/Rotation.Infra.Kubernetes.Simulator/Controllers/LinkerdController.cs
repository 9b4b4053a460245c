using System.Text.Json.Nodes;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Controllers;

/// <summary>
/// Linkerd's control plane as rotation sees it. The proxy injector (a mutating webhook) adds a linkerd-proxy
/// container to every meshed pod at creation, with LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS read from the
/// trust-roots ConfigMap at that moment; running pods never see later changes until they are recreated.
/// A pod is meshed when it or its namespace is annotated linkerd.io/inject=enabled.
/// The identity controller reloads the issuer secret after the propagation delay (<see cref="LoadedIssuer"/>), refusing
/// one that does not chain to the trust roots (<see cref="IssuerLoadError"/>).
/// </summary>
public sealed class LinkerdController : SimulatedMeshController
{
    private IDisposable? _injector;
    private string? _loadedIssuer;
    private LoadedSigningCa? _loadedSigningIssuer;
    private string? _issuerLoadError;

    public LinkerdController(KubeObjectStore store, MeshControllerOptions? options = null)
        : base(store, options)
    {
    }

    /// <summary>The issuer certificate (tls.crt) the identity controller last loaded; null before the first load.</summary>
    public string? LoadedIssuerCertificatePem => Volatile.Read(ref _loadedIssuer);

    /// <summary>The issuer identity signs workload certificates with (for a drill's simulated proxies).</summary>
    public LoadedSigningCa? LoadedIssuer => Volatile.Read(ref _loadedSigningIssuer);

    /// <summary>Why the current issuer secret was refused (identity keeps the previous issuer), or null.</summary>
    public string? IssuerLoadError => Volatile.Read(ref _issuerLoadError);

    protected override void OnStarting() => _injector = Store.AddAdmissionMutator(ResourceKinds.Pods, InjectProxy);

    protected override void OnStopped()
    {
        _injector?.Dispose();
        _injector = null;
    }

    protected override bool IsRelevant(ObjectChangedEventArgs change) =>
        change.Namespace == LinkerdNames.Namespace
        && ((change.Kind == ResourceKinds.Secrets && change.Name == LinkerdNames.IssuerSecret)
            || (change.Kind == ResourceKinds.ConfigMaps && change.Name == LinkerdNames.TrustRootsConfigMap));

    /// <summary>
    /// Reloads the issuer like the identity controller: an issuer whose chain does not verify against the trust
    /// roots is refused and the previous one kept. (Real identity checks against the roots it started with; the
    /// simulation uses the current ConfigMap, which is only more lenient when roots changed without a restart.)
    /// </summary>
    protected override void Reconcile()
    {
        var issuer = Store.TryGet(ResourceKinds.Secrets, LinkerdNames.Namespace, LinkerdNames.IssuerSecret);
        if (issuer is null)
        {
            return;
        }

        var roots = Store.TryGet(ResourceKinds.ConfigMaps, LinkerdNames.Namespace, LinkerdNames.TrustRootsConfigMap);
        var chainPem = KubeObjects.SecretText(issuer, "tls.crt");
        var (loaded, error) = SigningCaLoader.Load(
            chainPem,
            KubeObjects.SecretText(issuer, "tls.key"),
            roots is null ? null : KubeObjects.ConfigMapText(roots, LinkerdNames.TrustRootsKey),
            Time.GetUtcNow(),
            $"issuer secret {LinkerdNames.Namespace}/{LinkerdNames.IssuerSecret}");
        Volatile.Write(ref _issuerLoadError, error);
        if (loaded is not null)
        {
            Volatile.Write(ref _loadedSigningIssuer, loaded);
            Volatile.Write(ref _loadedIssuer, chainPem);
        }
    }

    private void InjectProxy(JsonObject pod)
    {
        if (!IsMeshed(pod))
        {
            return;
        }

        // The labels and annotations the real injector adds; rotation finds meshed pods by linkerd.io/control-plane-ns.
        var metadata = KubeObjects.Metadata(pod);
        var labels = metadata["labels"] as JsonObject ?? [];
        labels[LinkerdNames.ControlPlaneNamespaceLabel] = LinkerdNames.Namespace;
        labels[LinkerdNames.WorkloadNamespaceLabel] = KubeObjects.Namespace(pod);
        metadata["labels"] = labels.DeepClone();
        var annotations = metadata["annotations"] as JsonObject ?? [];
        annotations[LinkerdNames.ProxyVersionAnnotation] = "simulated";
        annotations[LinkerdNames.IdentityModeAnnotation] = "default";
        metadata["annotations"] = annotations.DeepClone();

        var trustRoots = Store.TryGet(ResourceKinds.ConfigMaps, LinkerdNames.Namespace, LinkerdNames.TrustRootsConfigMap);
        var anchors = trustRoots is null ? "" : KubeObjects.ConfigMapText(trustRoots, LinkerdNames.TrustRootsKey) ?? "";
        var spec = pod["spec"] as JsonObject ?? [];
        pod["spec"] = spec;
        var containers = spec["containers"] as JsonArray ?? [];
        spec["containers"] = containers;
        var existing = containers.FirstOrDefault(c => KubeObjects.StringAt(c, "name") == LinkerdNames.ProxyContainer);
        if (existing is not null)
        {
            containers.Remove(existing);
        }

        containers.Add(new JsonObject
        {
            ["name"] = LinkerdNames.ProxyContainer,
            ["image"] = "cr.l5d.io/linkerd/proxy:simulated",
            ["env"] = new JsonArray(new JsonObject { ["name"] = LinkerdNames.TrustAnchorsEnv, ["value"] = anchors }),
        });
    }

    private bool IsMeshed(JsonObject pod)
    {
        if (KubeObjects.Annotations(pod).GetValueOrDefault(LinkerdNames.InjectAnnotation) is { } podSetting)
        {
            return podSetting == "enabled";
        }

        var ns = Store.TryGet(ResourceKinds.Namespaces, null, KubeObjects.Namespace(pod) ?? "");
        return ns is not null && KubeObjects.Annotations(ns).GetValueOrDefault(LinkerdNames.InjectAnnotation) == "enabled";
    }
}
