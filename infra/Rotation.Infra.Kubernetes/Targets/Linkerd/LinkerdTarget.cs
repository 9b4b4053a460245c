using k8s;
using k8s.Models;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Writing;

namespace Rotation.Infra.Kubernetes.Targets.Linkerd;

/// <summary>
/// Linkerd identity: trust anchors in the ConfigMap linkerd-identity-trust-roots (ca-bundle.crt), the issuer in the
/// Secret linkerd-identity-issuer (tls.crt, tls.key, ca.crt). The identity controller reloads its issuer from the
/// secret, but proxies read their anchors once, at start, into the env LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS; so a
/// trust change is followed by a throttled rollout restart, and the trust evidence is each meshed pod's env (as
/// `linkerd check` reads it), not the ConfigMap.
/// </summary>
public sealed class LinkerdTarget : KubernetesTarget
{
    public const string KindName = "linkerd";
    public const string ProxyContainer = "linkerd-proxy";
    public const string TrustAnchorsEnv = "LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS";
    public const string MeshedPodLabel = "linkerd.io/control-plane-ns";
    private const string BundleKey = "ca-bundle.crt";

    private readonly LinkerdTargetOptions _options;

    public LinkerdTarget(ClusterConnection connection, LinkerdTargetOptions options)
        : base(connection, KindName) => _options = options;

    public override IReadOnlyList<ResourcePermission> RequiredPermissions =>
    [
        new("get", "", "configmaps", _options.Namespace),
        new("update", "", "configmaps", _options.Namespace),
        new("get", "", "secrets", _options.Namespace),
        new("update", "", "secrets", _options.Namespace),
        new("list", "", "pods"),
        new("get", "apps", "deployments", _options.Namespace),
        new("list", "", "pods", _options.Namespace),
        new("list", "", "events", _options.Namespace),
        .. RestartScope.SelectMany(ns => new[] { "deployments", "statefulsets", "daemonsets" }.SelectMany(kind => new ResourcePermission[] { new("list", "apps", kind, ns), new("get", "apps", kind, ns), new("patch", "apps", kind, ns) })),
    ];

    private IReadOnlyList<string> RestartScope => [_options.Namespace, .. _options.RestartNamespaces.Where(n => n != _options.Namespace)];

    public override async Task<PreflightReport> PreflightAsync(RotationKind kind, CancellationToken cancellationToken = default)
    {
        var map = await ReadConfigMapAsync(_options.Namespace, _options.TrustRootsConfigMap, cancellationToken);
        var secret = await ReadSecretAsync(_options.Namespace, _options.IssuerSecret, cancellationToken);
        var identity = await ReadIdentityAsync(cancellationToken);
        var config = LinkerdIdentityConfig.From(identity);
        var checks = new List<PreflightCheck>
        {
            new("version", true, identity is null
                ? $"deployment {_options.Namespace}/linkerd-identity not found: version unknown"
                : $"linkerd-identity runs {ImagesOf(identity)}; proxies' leaves live {config.IssuanceLifetime} ({(config.LifetimeFromArgs ? "-identity-issuance-lifetime" : "Linkerd's default, no -identity-issuance-lifetime")}): the leaf time rule needs MaxLeafTtl of at least that"),
            new("trust roots", map is not null, map is not null
                ? $"configmap {_options.Namespace}/{_options.TrustRootsConfigMap} found"
                : $"configmap {_options.Namespace}/{_options.TrustRootsConfigMap} not found: install Linkerd with an external trust anchor (identity.externalCA) or set option trustRootsConfigMap"),
            SchemeCheck(identity, config, secret),
            new("restarts", true, _options.RestartNamespaces.Count > 0
                ? $"meshed Deployments in {string.Join(", ", _options.RestartNamespaces)} are restarted, {_options.RestartConcurrency} at a time"
                : "no namespace opted in to restarts: meshed pods outside the control plane keep their old anchors until restarted, and the trust gate waits for them"),
        };
        checks.AddRange(LinkerdOwnership.Check(_options, map, secret));
        return Report([.. checks]);
    }

    /// <summary>The issuer Secret must hold the keys of the scheme identity was started with (-identity-scheme).</summary>
    private PreflightCheck SchemeCheck(V1Deployment? identity, LinkerdIdentityConfig config, V1Secret? secret)
    {
        var where = $"secret {_options.Namespace}/{_options.IssuerSecret}";
        if (identity is null)
            return new("issuer scheme", false, $"deployment {_options.Namespace}/linkerd-identity not found, so its -identity-scheme is unknown: Rotation will not guess the issuer Secret's keys");
        if (config.Scheme is not (LinkerdIdentityConfig.LinkerdScheme or LinkerdIdentityConfig.KubernetesScheme))
            return new("issuer scheme", false, $"linkerd-identity runs with -identity-scheme={config.Scheme ?? "(none: identity disabled)"}: Rotation supports linkerd.io/tls and kubernetes.io/tls");
        var has = Text(secret, config.CertificateKey) is not null && Text(secret, config.KeyKey) is not null;
        return new("issuer scheme", has, has
            ? $"-identity-scheme={config.Scheme}: {where} holds {config.CertificateKey} and {config.KeyKey}"
            : $"-identity-scheme={config.Scheme}, but {where} does not hold {config.CertificateKey} and {config.KeyKey}: identity would not start with it; fix the Secret or the scheme first");
    }

    private Task<V1Deployment?> ReadIdentityAsync(CancellationToken cancellationToken) =>
        GuardAsync($"reading deployment {_options.Namespace}/linkerd-identity",
            () => OrNullAsync(Client.AppsV1.ReadNamespacedDeploymentAsync("linkerd-identity", _options.Namespace, cancellationToken: cancellationToken)), cancellationToken);

    private async Task<LinkerdIdentityConfig> IdentityConfigAsync(CancellationToken cancellationToken)
    {
        var config = LinkerdIdentityConfig.From(await ReadIdentityAsync(cancellationToken));
        return config.Scheme is null
            ? throw new TargetUnavailableException(Name, $"cluster '{Cluster}': deployment {_options.Namespace}/linkerd-identity has no -identity-scheme, so the issuer Secret's keys are unknown")
            : config;
    }

    public override async Task ApplyTrustBundleAsync(TrustBundle bundle, RotationWriteContext context, CancellationToken cancellationToken = default)
    {
        var config = await IdentityConfigAsync(cancellationToken);
        var changed = await WriteBundleAsync(bundle, context, cancellationToken);
        var acknowledgedAt = Connection.TimeProvider.GetUtcNow();
        if (config.TrustAnchorsKey is { } anchorsKey)
        {
            await WriteSecretAsync(_options.Namespace, _options.IssuerSecret, current =>
            {
                if (current is null || ObjectPem.SameSet(Text(current, anchorsKey), bundle))
                    return null;
                return WithData(current, config, context, new Dictionary<string, string> { [anchorsKey] = bundle.ToPem() });
            }, cancellationToken);
        }

        await RestartIfNeededAsync(bundle, changed ? acknowledgedAt : null, context, cancellationToken);
    }

    public override async Task ApplyIssuerAsync(IssuerMaterial issuer, RotationWriteContext context, CancellationToken cancellationToken = default)
    {
        // Proxies present leaf + issuer chain; the self-signed root stays out of tls.crt (peers hold it as an anchor).
        var chain = new List<Certificate> { issuer.Issuer.Certificate };
        chain.AddRange(issuer.ChainToRoot.Where(c => !c.Equals(issuer.Issuer.Certificate) && !c.IsSelfSigned));
        var config = await IdentityConfigAsync(cancellationToken);
        var bundleChanged = await WriteBundleAsync(issuer.Bundle, context, cancellationToken);
        var bundleAcknowledgedAt = Connection.TimeProvider.GetUtcNow();
        await WriteSecretAsync(_options.Namespace, _options.IssuerSecret, current =>
        {
            if (ObjectPem.SameCertificates(Text(current, config.CertificateKey), chain)
                && (config.TrustAnchorsKey is null || ObjectPem.SameSet(Text(current, config.TrustAnchorsKey), issuer.Bundle)))
                return null;
            var secret = current ?? new V1Secret
            {
                Metadata = new V1ObjectMeta { Name = _options.IssuerSecret, NamespaceProperty = _options.Namespace },
                Type = config.IsLinkerdScheme ? "Opaque" : "kubernetes.io/tls",
            };
            var data = new Dictionary<string, string>
            {
                [config.CertificateKey] = Pem.WriteCertificates(chain),
                [config.KeyKey] = issuer.Issuer.Key.ToPkcs8Pem(),
            };
            if (config.TrustAnchorsKey is { } anchorsKey)
                data[anchorsKey] = issuer.Bundle.ToPem();
            var written = WithData(secret, config, context, data);
            // The leaf gate compares identity's IssuerUpdated events and pod starts with this moment.
            written.Metadata.Annotations[LinkerdIssuerLoaded.IssuerWrittenAtAnnotation] = Connection.TimeProvider.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            return written;
        }, cancellationToken);

        // Normally the bundle is unchanged here; when it is not (an abort before the trust gate passed), proxies need the same restarts.
        await RestartIfNeededAsync(issuer.Bundle, bundleChanged ? bundleAcknowledgedAt : null, context, cancellationToken);
    }

    public override async Task<TrustReport> ReportTrustAsync(CancellationToken cancellationToken = default)
    {
        var map = await ReadConfigMapAsync(_options.Namespace, _options.TrustRootsConfigMap, cancellationToken);
        var stores = new List<TrustStoreObservation> { Observe($"configmap {_options.Namespace}/{_options.TrustRootsConfigMap}", Text(map, BundleKey)) };
        stores.AddRange(await ObserveProxiesAsync(map, cancellationToken));
        return new TrustReport(Name, stores);
    }

    /// <summary>
    /// Proxies' leaves are not visible, so the gate relies on the time rule, but only once every identity replica is
    /// proven to sign with the issuer Rotation wrote (<see cref="LinkerdIssuerLoaded"/>): until then, or while identity
    /// reports IssuerUpdateSkipped or crash-loops, the report holds the gate with that reason, and the time rule counts
    /// from when the last replica loaded it.
    /// </summary>
    public override async Task<LeafReport> ReportLeavesAsync(CancellationToken cancellationToken = default)
    {
        const string note = "Linkerd proxies fetch their leaves from the identity controller and keep them in memory; the Kubernetes API does not show them";
        var secret = await ReadSecretAsync(_options.Namespace, _options.IssuerSecret, cancellationToken);
        if (LinkerdIssuerLoaded.WrittenAt(secret) is not { } writtenAt)
            return new LeafReport(Name, false, [], note + "; Rotation has not written the issuer, so identity's reload is not checked");
        var identity = await ReadIdentityAsync(cancellationToken);
        var pods = identity?.Spec?.Selector?.MatchLabels is { Count: > 0 } selector
            ? await GuardAsync($"listing pods of deployment {_options.Namespace}/{LinkerdIssuerLoaded.IdentityDeployment}", async () =>
                (await Client.CoreV1.ListNamespacedPodAsync(_options.Namespace, labelSelector: string.Join(",", selector.Select(kv => $"{kv.Key}={kv.Value}")), cancellationToken: cancellationToken)).Items.ToList(), cancellationToken)
            : [];
        var events = await GuardAsync($"listing events of deployment {_options.Namespace}/{LinkerdIssuerLoaded.IdentityDeployment}", () => Paged.ListAllAsync(async token =>
        {
            var page = await Client.CoreV1.ListNamespacedEventAsync(_options.Namespace, fieldSelector: $"involvedObject.kind=Deployment,involvedObject.name={LinkerdIssuerLoaded.IdentityDeployment}", limit: PageSize, continueParameter: token, cancellationToken: cancellationToken);
            return ((IEnumerable<Corev1Event>)page.Items, page.Metadata?.ContinueProperty);
        }), cancellationToken);
        var verdict = LinkerdIssuerLoaded.Judge(writtenAt, identity, pods, events.ToList());
        return verdict.Holds is { } holds
            ? new LeafReport(Name, false, [], note, $"{holds} ({verdict.Evidence})".Replace(" ()", "", StringComparison.Ordinal))
            : new LeafReport(Name, false, [], $"{note}; identity loaded the issuer: {verdict.Evidence}", IssuingSince: verdict.Since);
    }

    public override async Task<TargetContent> ReadContentAsync(CancellationToken cancellationToken = default)
    {
        var map = await ReadConfigMapAsync(_options.Namespace, _options.TrustRootsConfigMap, cancellationToken);
        var secret = await ReadSecretAsync(_options.Namespace, _options.IssuerSecret, cancellationToken);
        var config = await IdentityConfigAsync(cancellationToken);
        var where = $"secret {_options.Namespace}/{_options.IssuerSecret}";
        var trust = new List<HeldRoots> { Held($"configmap {_options.Namespace}/{_options.TrustRootsConfigMap} {BundleKey}", Text(map, BundleKey)) };
        // ca.crt beside the issuer exists only in the kubernetes.io/tls scheme, and is optional there; Rotation writes it when the secret exists.
        if (config.TrustAnchorsKey is { } anchorsKey && Text(secret, anchorsKey) is { } caCrt)
            trust.Add(Held($"{where} {anchorsKey}", caCrt));
        return new TargetContent(Name, trust, HeldIssuerOf($"{where} {config.CertificateKey}", Text(secret, config.CertificateKey), null, Text(secret, config.KeyKey)));
    }

    private async Task<IReadOnlyList<TrustStoreObservation>> ObserveProxiesAsync(V1ConfigMap? trustRoots, CancellationToken cancellationToken)
    {
        var pods = await GuardAsync("listing meshed pods", () => Paged.ListAllAsync(async token =>
        {
            var page = await Client.CoreV1.ListPodForAllNamespacesAsync(labelSelector: MeshedPodLabel, limit: PageSize, continueParameter: token, cancellationToken: cancellationToken);
            return ((IEnumerable<V1Pod>)page.Items, page.Metadata?.ContinueProperty);
        }), cancellationToken);
        return pods
            .Where(p => p.Status?.Phase is not ("Succeeded" or "Failed"))
            .OrderBy(p => p.Namespace(), StringComparer.Ordinal).ThenBy(p => p.Name(), StringComparer.Ordinal)
            .Select(p => ObservePod(p, trustRoots))
            .ToList();
    }

    private TrustStoreObservation ObservePod(V1Pod pod, V1ConfigMap? trustRoots)
    {
        var location = $"pod {pod.Namespace()}/{pod.Name()}";
        // Native sidecars (Linkerd 2.15+) put the proxy among the init containers.
        var proxy = (pod.Spec?.Containers ?? []).Concat(pod.Spec?.InitContainers ?? []).FirstOrDefault(c => c.Name == ProxyContainer);
        var env = proxy?.Env?.FirstOrDefault(e => e.Name == TrustAnchorsEnv);
        if (env?.ValueFrom?.ConfigMapKeyRef is { } reference && reference.Name == _options.TrustRootsConfigMap && pod.Namespace() == _options.Namespace)
            return LinkerdControlPlaneProxy.Observe(this, pod, location, trustRoots, reference.Key ?? BundleKey);
        if (env?.Value is null)
            return new TrustStoreObservation($"{location} (no {TrustAnchorsEnv} value on {ProxyContainer})", []);
        return Observe(location + NotRestartable(pod), env.Value);
    }

    /// <summary>
    /// Pods a rollout restart cannot replace: a Job's (its pods run to completion with the anchors they started with)
    /// and bare pods (no controller re-creates them). They keep old anchors until someone re-creates them.
    /// </summary>
    private static string NotRestartable(V1Pod pod)
    {
        var controller = pod.Metadata?.OwnerReferences?.FirstOrDefault(o => o.Controller == true);
        if (controller is null)
            return " (bare pod, no controller: Rotation cannot restart it; delete and re-create it to load new anchors)";
        return controller.Kind == "Job"
            ? $" (pod of job {controller.Name}: Rotation cannot restart a Job; it keeps these anchors until the Job runs again)"
            : "";
    }

    internal TrustStoreObservation ObserveText(string location, string? pem) => Observe(location, pem);

    /// <summary>
    /// Restarts when the anchors changed now (<paramref name="changedAt"/>: when the API server acknowledged the write),
    /// or when some proxy still runs with other anchors (a re-run after a crash between the write and the restarts).
    /// Deployments already restarted for this rotation and phase are skipped.
    /// </summary>
    private async Task RestartIfNeededAsync(TrustBundle bundle, DateTimeOffset? changedAt, RotationWriteContext context, CancellationToken cancellationToken)
    {
        if (changedAt is not null || !await ProxiesHoldAsync(bundle, cancellationToken))
            await RestartMeshAsync(context, changedAt, cancellationToken);
    }

    /// <summary>Whether every proxy a restart could reach (control plane and opted-in namespaces) runs with <paramref name="bundle"/>.</summary>
    private async Task<bool> ProxiesHoldAsync(TrustBundle bundle, CancellationToken cancellationToken)
    {
        var scope = RestartScope.Select(ns => $"pod {ns}/").ToList();
        var map = await ReadConfigMapAsync(_options.Namespace, _options.TrustRootsConfigMap, cancellationToken);
        var proxies = await ObserveProxiesAsync(map, cancellationToken);
        return proxies
            .Where(p => scope.Any(prefix => p.Location.StartsWith(prefix, StringComparison.Ordinal)))
            .All(p => p.Sha256Fingerprints.ToHashSet().SetEquals(bundle.Fingerprints));
    }

    private Task<bool> WriteBundleAsync(TrustBundle bundle, RotationWriteContext context, CancellationToken cancellationToken) =>
        WriteConfigMapAsync(_options.Namespace, _options.TrustRootsConfigMap, current =>
        {
            if (ObjectPem.SameSet(Text(current, BundleKey), bundle))
                return null;
            var map = current ?? new V1ConfigMap { Metadata = new V1ObjectMeta { Name = _options.TrustRootsConfigMap, NamespaceProperty = _options.Namespace } };
            map.Metadata ??= new V1ObjectMeta();
            ManagedMetadata.Stamp(map.Metadata, context, ObjectPem.Summary("roots", Text(current, BundleKey)));
            map.Metadata.Annotations[LinkerdControlPlaneProxy.WrittenAtAnnotation] = Connection.TimeProvider.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            map.Data ??= new Dictionary<string, string>();
            map.Data[BundleKey] = bundle.ToPem();
            return map;
        }, cancellationToken);

    private static V1Secret WithData(V1Secret secret, LinkerdIdentityConfig config, RotationWriteContext context, Dictionary<string, string> data) =>
        StampSecret(secret, context, IssuerSummary(secret, config.CertificateKey, config.TrustAnchorsKey ?? "ca.crt"), data);

    /// <summary>
    /// The control plane first (its injector must serve the new anchors), then opted-in namespaces: Deployments,
    /// StatefulSets and DaemonSets; linkerd-identity last, and not before <see cref="LinkerdTargetOptions.MountSyncWait"/>
    /// has passed since the trust roots were written: identity reads the anchors from its mounted copy of the ConfigMap
    /// once at start (controller/cmd/identity/main.go), and a restart inside the kubelet's sync delay would start it
    /// with the old anchors, so it would refuse the new issuer (IssuerUpdateSkipped) at SwitchIssuer. Every other
    /// proxy takes the anchors from the API at container start (env value or valueFrom), without that delay. A workload
    /// restarted since the trust roots were last written is not restarted again (a re-run after a crash or a timed-out
    /// rollout restarts only what is left, and waits only for what is left of the delay).
    /// </summary>
    private async Task RestartMeshAsync(RotationWriteContext context, DateTimeOffset? acknowledgedAt, CancellationToken cancellationToken)
    {
        var map = await ReadConfigMapAsync(_options.Namespace, _options.TrustRootsConfigMap, cancellationToken);
        var writtenAt = LinkerdControlPlaneProxy.WrittenAt(map);
        // The annotation is stamped before the request, so the API server stored the ConfigMap a little later; the
        // kubelet's sync delay runs from then. This process knows when its write was acknowledged and counts from that;
        // a re-run in another process has only the stamp, a few milliseconds early against a delay of minutes.
        var syncFrom = writtenAt is { } stamped && acknowledgedAt is { } acknowledged && acknowledged > stamped ? acknowledged : writtenAt;
        var restarter = new WorkloadRestarter(Connection, Name);
        var controlPlane = await ListWorkloadsAsync(_options.Namespace, meshedOnly: false, cancellationToken);
        static bool IsIdentity(WorkloadRef w) => w is { Kind: WorkloadRef.Deployment, Name: LinkerdIssuerLoaded.IdentityDeployment };
        await restarter.RestartAsync(controlPlane.Where(w => !IsIdentity(w)).ToList(), context, _options.RestartConcurrency, cancellationToken, writtenAt);
        var workloads = new List<WorkloadRef>();
        foreach (var ns in _options.RestartNamespaces.Where(n => n != _options.Namespace))
            workloads.AddRange(await ListWorkloadsAsync(ns, meshedOnly: true, cancellationToken));
        await restarter.RestartAsync(workloads, context, _options.RestartConcurrency, cancellationToken, writtenAt);

        var identity = controlPlane.Where(IsIdentity).ToList();
        if (identity.Count == 0)
            return;
        if (syncFrom is { } at && at + _options.MountSyncWait - Connection.TimeProvider.GetUtcNow() is { } remaining && remaining > TimeSpan.Zero
            && await restarter.NeedsRestartAsync(identity[0], writtenAt, cancellationToken))
            await Task.Delay(remaining, Connection.TimeProvider, cancellationToken);
        await restarter.RestartAsync(identity, context, _options.RestartConcurrency, cancellationToken, writtenAt);
    }

    private Task<List<WorkloadRef>> ListWorkloadsAsync(string ns, bool meshedOnly, CancellationToken cancellationToken) =>
        GuardAsync($"listing deployments, statefulsets and daemonsets in {ns}", async () =>
        {
            var deployments = await Paged.ListAllAsync(async token =>
            {
                var page = await Client.AppsV1.ListNamespacedDeploymentAsync(ns, limit: PageSize, continueParameter: token, cancellationToken: cancellationToken);
                return (page.Items.Select(d => (WorkloadRef.Deployment, d.Name(), d.Spec?.Template)), page.Metadata?.ContinueProperty);
            });
            var statefulSets = await Paged.ListAllAsync(async token =>
            {
                var page = await Client.AppsV1.ListNamespacedStatefulSetAsync(ns, limit: PageSize, continueParameter: token, cancellationToken: cancellationToken);
                return (page.Items.Select(d => (WorkloadRef.StatefulSet, d.Name(), d.Spec?.Template)), page.Metadata?.ContinueProperty);
            });
            var daemonSets = await Paged.ListAllAsync(async token =>
            {
                var page = await Client.AppsV1.ListNamespacedDaemonSetAsync(ns, limit: PageSize, continueParameter: token, cancellationToken: cancellationToken);
                return (page.Items.Select(d => (WorkloadRef.DaemonSet, d.Name(), d.Spec?.Template)), page.Metadata?.ContinueProperty);
            });
            return deployments.Concat(statefulSets).Concat(daemonSets)
                .Where(w => !meshedOnly || IsMeshed(w.Item3))
                .Select(w => new WorkloadRef(w.Item1, ns, w.Item2))
                .OrderBy(w => w.Kind, StringComparer.Ordinal).ThenBy(w => w.Name, StringComparer.Ordinal)
                .ToList();
        }, cancellationToken);

    /// <summary>Meshed unless its pod template opts out of injection (the namespace itself is opted in by the operator).</summary>
    private static bool IsMeshed(V1PodTemplateSpec? template) =>
        template?.Metadata?.Annotations?.TryGetValue("linkerd.io/inject", out var inject) != true || inject != "disabled";
}
