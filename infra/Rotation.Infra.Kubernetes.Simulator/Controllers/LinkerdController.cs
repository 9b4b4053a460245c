using System.Text.Json.Nodes;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Controllers;

/// <summary>
/// Linkerd's control plane as rotation sees it. The proxy injector (a mutating webhook) adds a linkerd-proxy
/// container to every meshed pod at creation, with LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS read from the
/// trust-roots ConfigMap at that moment; running pods never see later changes until they are recreated.
/// A pod is meshed when it or its namespace is annotated linkerd.io/inject=enabled.
/// The identity controller reloads the issuer secret after the propagation delay (<see cref="LoadedIssuer"/>), refusing
/// one that does not chain to the anchors it read when it started (<see cref="IssuerLoadError"/>; with a seeded
/// linkerd-identity Deployment, a pod-template change is a restart that re-reads them), recording IssuerUpdated or
/// IssuerUpdateSkipped events per replica, and crash-looping on a bad issuer at start (<see cref="IdentityCrashLooping"/>).
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
            || (change.Kind == ResourceKinds.ConfigMaps && change.Name == LinkerdNames.TrustRootsConfigMap)
            || (change.Kind == ResourceKinds.Deployments && change.Name == IdentityDeployment));

    private const string IdentityDeployment = "linkerd-identity";
    private string? _startAnchors;
    private string? _identityTemplate;
    private string? _seenIssuer;

    /// <summary>
    /// The anchors identity read from its mounted ConfigMap file when it (last) started, or null when the current
    /// ConfigMap is used (no linkerd-identity Deployment seeded). linkerd/linkerd2 b24cd405 controller/cmd/identity/main.go
    /// reads them once (os.ReadFile) and pkg/identity/service.go loadCredentials verifies every issuer against them.
    /// </summary>
    public string? StartAnchorsPem => Volatile.Read(ref _startAnchors);

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
        var currentAnchors = roots is null ? null : KubeObjects.ConfigMapText(roots, LinkerdNames.TrustRootsKey);
        var identity = Store.TryGet(ResourceKinds.Deployments, LinkerdNames.Namespace, IdentityDeployment);
        var template = identity?["spec"]?["template"]?.ToJsonString();
        var restarted = identity is not null && template != _identityTemplate;
        if (restarted)
        {
            // identity (re)started: it reads the anchors file now and keeps it until the next start.
            _identityTemplate = template;
            Volatile.Write(ref _startAnchors, currentAnchors);
        }

        var anchors = identity is null ? currentAnchors : Volatile.Read(ref _startAnchors);
        var scheme = identity?["spec"]?["template"]?["spec"]?["containers"] is JsonArray containers
            ? containers.SelectMany(c => (c?["args"] as JsonArray ?? []).Select(a => a?.GetValue<string>() ?? "")).FirstOrDefault(a => a.TrimStart('-').StartsWith("identity-scheme=", StringComparison.Ordinal))?.Split('=', 2)[1]
            : null;
        var (certKey, keyKey) = scheme == "linkerd.io/tls" ? ("crt.pem", "key.pem") : ("tls.crt", "tls.key");
        var chainPem = KubeObjects.SecretText(issuer, certKey);
        // Without a seeded identity Deployment the current ConfigMap counts as the anchors, so its changes re-validate too.
        var issuerState = chainPem + KubeObjects.SecretText(issuer, keyKey) + (identity is null ? currentAnchors : "");
        if (!restarted && issuerState == _seenIssuer)
        {
            return;
        }

        _seenIssuer = issuerState;
        var (loaded, error) = SigningCaLoader.Load(
            chainPem,
            KubeObjects.SecretText(issuer, keyKey),
            anchors,
            Time.GetUtcNow(),
            $"issuer secret {LinkerdNames.Namespace}/{LinkerdNames.IssuerSecret}");
        Volatile.Write(ref _issuerLoadError, error);
        if (restarted && error is not null)
        {
            // main.go: a bad issuer at start is fatal (log.Fatalf): identity crash-loops and signs nothing.
            Volatile.Write(ref _loadedSigningIssuer, null);
            Volatile.Write(ref _loadedIssuer, null);
            Volatile.Write(ref _crashLooping, 1);
            return;
        }

        if (restarted)
        {
            Volatile.Write(ref _crashLooping, 0);
        }

        if (identity is not null && !restarted && Volatile.Read(ref _crashLooping) == 0)
        {
            // pkg/identity/service.go Run: IssuerUpdated / IssuerUpdateSkipped on the linkerd-identity Deployment, one per replica.
            var replicas = Math.Max(1, KubeObjects.LongAt(identity["spec"]?["replicas"]));
            for (var i = 0; i < replicas; i++)
            {
                RecordIdentityEvent(error is null ? "Normal" : "Warning", error is null ? "IssuerUpdated" : "IssuerUpdateSkipped",
                    error is null ? "Updated identity issuer" : $"Skipping issuer update as certs could not be read from disk: {error}");
            }
        }

        if (loaded is not null && Volatile.Read(ref _crashLooping) == 0)
        {
            Volatile.Write(ref _loadedSigningIssuer, loaded);
            Volatile.Write(ref _loadedIssuer, chainPem);
        }
    }

    private int _crashLooping;

    /// <summary>True after identity started with an issuer its start-time anchors do not verify (log.Fatalf in main.go).</summary>
    public bool IdentityCrashLooping => Volatile.Read(ref _crashLooping) == 1;

    private void RecordIdentityEvent(string type, string reason, string message)
    {
        var ev = KubeObjects.New(ResourceKinds.Events, LinkerdNames.Namespace, $"{IdentityDeployment}.{Guid.NewGuid():N}");
        ev["type"] = type;
        ev["reason"] = reason;
        ev["message"] = message;
        ev["source"] = new JsonObject { ["component"] = IdentityDeployment };
        ev["involvedObject"] = new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = "Deployment", ["namespace"] = LinkerdNames.Namespace, ["name"] = IdentityDeployment };
        ev["firstTimestamp"] = KubeObjects.Timestamp(Time.GetUtcNow());
        Store.Create(ResourceKinds.Events, LinkerdNames.Namespace, ev);
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
