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
            || (change.Kind == ResourceKinds.Deployments && change.Name == IdentityDeployment)
            || (change.Kind == ResourceKinds.Pods && change.Type != ObjectChangeType.Deleted && IsIdentityPod(change.Name)));

    private static bool IsIdentityPod(string? name) => name?.StartsWith(IdentityDeployment + "-", StringComparison.Ordinal) == true;

    /// <summary>
    /// How long the kubelet takes to update a ConfigMap mounted as a volume (default zero). kubernetes/website
    /// content/en/docs/concepts/configuration/configmap.md ("Mounted ConfigMaps are updated automatically"): the kubelet
    /// checks on every periodic sync, so the delay is up to the sync period plus the cache's propagation delay; subPath
    /// mounts and environment variables are never updated. Identity reads the anchors file once at start
    /// (controller/cmd/identity/main.go os.ReadFile(k8s.MountPathTrustRootsPEM)): a restart inside this lag after a
    /// ConfigMap write starts with the old anchors.
    /// </summary>
    public TimeSpan TrustRootsVolumeLag { get; set; } = TimeSpan.Zero;

    private readonly List<(DateTimeOffset At, string? Pem)> _anchorHistory = [];

    /// <summary>What the mounted anchors file holds at <paramref name="now"/>: the ConfigMap as it was one volume lag ago.</summary>
    private string? MountedAnchors(string? current, DateTimeOffset now)
    {
        lock (_anchorHistory)
        {
            if (_anchorHistory.Count == 0 || _anchorHistory[^1].Pem != current)
            {
                _anchorHistory.Add((now, current));
            }

            var visible = _anchorHistory.LastOrDefault(h => h.At <= now - TrustRootsVolumeLag);
            return visible == default ? _anchorHistory[0].Pem : visible.Pem;
        }
    }

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
        var mountedAnchors = MountedAnchors(currentAnchors, Time.GetUtcNow());
        var identity = Store.TryGet(ResourceKinds.Deployments, LinkerdNames.Namespace, IdentityDeployment);
        var template = identity?["spec"]?["template"]?.ToJsonString();
        var restarted = identity is not null && template != _identityTemplate;
        if (restarted)
        {
            // identity (re)started: it reads the anchors file now and keeps it until the next start.
            _identityTemplate = template;
            Volatile.Write(ref _startAnchors, mountedAnchors);
            lock (_eventNames)
            {
                // New processes: each replica's client-go recorder starts with an empty cache.
                _eventNames.Clear();
            }
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
            MarkIdentityPods();
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
            MarkIdentityPods();
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
                RecordIdentityEvent(i, error is null ? "Normal" : "Warning", error is null ? "IssuerUpdated" : "IssuerUpdateSkipped",
                    error is null ? "Updated identity issuer" : $"Skipping issuer update as certs could not be read from disk: {error}");
            }
        }

        if (loaded is not null && Volatile.Read(ref _crashLooping) == 0)
        {
            Volatile.Write(ref _loadedSigningIssuer, loaded);
            Volatile.Write(ref _loadedIssuer, chainPem);
        }

        MarkIdentityPods();
    }

    /// <summary>
    /// A crash-looping identity shows as the kubelet reports it: the pod Running, its identity container waiting in
    /// CrashLoopBackOff with a restart count; a healthy one as running since its pod started.
    /// </summary>
    private void MarkIdentityPods()
    {
        var crashing = Volatile.Read(ref _crashLooping) == 1;
        foreach (var pod in Store.List(ResourceKinds.Pods, LinkerdNames.Namespace, p => IsIdentityPod(KubeObjects.Name(p))).Items)
        {
            var state = crashing
                ? new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "CrashLoopBackOff", ["message"] = "back-off restarting failed container identity" } }
                : new JsonObject { ["running"] = new JsonObject { ["startedAt"] = pod["status"]?["startTime"]?.DeepClone() } };
            var status = new JsonArray(new JsonObject { ["name"] = "identity", ["ready"] = !crashing, ["restartCount"] = crashing ? 1 : 0, ["state"] = state });
            if (pod["status"]?["containerStatuses"]?.ToJsonString() == status.ToJsonString())
            {
                continue;
            }

            try
            {
                Store.Modify(ResourceKinds.Pods, LinkerdNames.Namespace, KubeObjects.Name(pod)!, p =>
                {
                    var podStatus = p["status"] as JsonObject ?? [];
                    podStatus["containerStatuses"] = status.DeepClone();
                    p["status"] = podStatus;
                    return p;
                }, WriteScope.Status);
            }
            catch (KubeApiException e) when (e.Code is 404 or 409)
            {
                // Replaced during the pass; its successor wakes the next one.
            }
        }
    }

    private int _crashLooping;

    /// <summary>True after identity started with an issuer its start-time anchors do not verify (log.Fatalf in main.go).</summary>
    public bool IdentityCrashLooping => Volatile.Read(ref _crashLooping) == 1;

    private readonly Dictionary<string, string> _eventNames = new(StringComparer.Ordinal);

    /// <summary>
    /// One replica's event as client-go's recorder writes it (k8s.io/client-go tools/record events_cache.go
    /// EventCorrelator/eventLogger): the first of a (source, involvedObject, type, reason, message) creates an Event
    /// named "&lt;involvedObject&gt;.&lt;unix nanos hex&gt;" with count 1; repeats from the same process patch it (count+1,
    /// lastTimestamp). Replicas do not share that cache, so each writes its own object.
    /// </summary>
    private void RecordIdentityEvent(int replica, string type, string reason, string message)
    {
        var now = Time.GetUtcNow();
        var key = $"{replica}|{type}|{reason}|{message}";
        string? existing;
        lock (_eventNames)
        {
            _eventNames.TryGetValue(key, out existing);
        }

        if (existing is not null && Store.TryGet(ResourceKinds.Events, LinkerdNames.Namespace, existing) is not null)
        {
            Store.Modify(ResourceKinds.Events, LinkerdNames.Namespace, existing, e =>
            {
                e["count"] = KubeObjects.LongAt(e["count"]) + 1;
                e["lastTimestamp"] = KubeObjects.Timestamp(now);
                return e;
            });
            return;
        }

        var name = $"{IdentityDeployment}.{(now.ToUnixTimeMilliseconds() * 1_000_000) + replica:x}";
        var ev = KubeObjects.New(ResourceKinds.Events, LinkerdNames.Namespace, name);
        ev["type"] = type;
        ev["reason"] = reason;
        ev["message"] = message;
        ev["count"] = 1;
        ev["source"] = new JsonObject { ["component"] = IdentityDeployment };
        ev["involvedObject"] = new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = "Deployment", ["namespace"] = LinkerdNames.Namespace, ["name"] = IdentityDeployment };
        ev["firstTimestamp"] = KubeObjects.Timestamp(now);
        ev["lastTimestamp"] = KubeObjects.Timestamp(now);
        try
        {
            Store.Create(ResourceKinds.Events, LinkerdNames.Namespace, ev);
        }
        catch (KubeApiException e) when (e.Code == 409)
        {
            // Same nanosecond name from an earlier pass (fake clocks): fold it in as a repeat.
            name += $"-{Guid.NewGuid():N}"[..9];
            ev["metadata"]!["name"] = name;
            Store.Create(ResourceKinds.Events, LinkerdNames.Namespace, ev);
        }

        lock (_eventNames)
        {
            _eventNames[key] = name;
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
