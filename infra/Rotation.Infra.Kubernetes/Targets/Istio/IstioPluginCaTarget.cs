using System.Globalization;
using k8s;
using k8s.Models;
using Rotation.Core.Authorities.Istio;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Writing;

namespace Rotation.Infra.Kubernetes.Targets.Istio;

/// <summary>
/// Istio's plug-in CA: the secret cacerts (ca-cert.pem, ca-key.pem, cert-chain.pem, root-cert.pem) that istiod signs
/// workload certificates from. Trust evidence is what the proxies' Envoys validate peers with (their ROOTCA secret,
/// <see cref="IstioProxyEvidence"/>), plus the istio-ca-root-cert ConfigMaps istiod publishes; where a proxy cannot be
/// read, the time rule stands in (every proxy refreshed its certificate since root-cert.pem changed). Workload leaves
/// live in the proxies' memory, so the leaf gate uses its time rule.
/// </summary>
public sealed class IstioPluginCaTarget : KubernetesTarget, IPublishesCertificates
{
    public const string KindName = "istio";
    public const string MultiRootEnv = IstiodReloadRule.MultiRootEnv;
    public const string RootsChangedAtAnnotation = "rotation.dev/root-cert-changed-at";
    private const string CaCert = "ca-cert.pem";
    private const string CaKey = "ca-key.pem";
    private const string CertChain = "cert-chain.pem";
    private const string RootCert = "root-cert.pem";
    private const string IstiodRestartAnnotation = "rotation.dev/istiod-restart";

    private readonly IstioTargetOptions _options;
    private readonly IstioProxyEvidence _proxies;
    private readonly IstiodReplicaEvidence _replicas;

    public IstioPluginCaTarget(ClusterConnection connection, IstioTargetOptions options)
        : this(connection, options, KindName)
    {
    }

    /// <summary>The same evidence under another kind's name: the AKS add-on target reads its cluster through this one.</summary>
    internal IstioPluginCaTarget(ClusterConnection connection, IstioTargetOptions options, string kind)
        : base(connection, kind)
    {
        _options = options;
        _proxies = new IstioProxyEvidence(connection, Name);
        _replicas = new IstiodReplicaEvidence(connection);
    }

    public override IReadOnlyList<ResourcePermission> RequiredPermissions =>
    [
        new("get", "", "secrets", _options.Namespace),
        new("update", "", "secrets", _options.Namespace),
        new("get", "apps", "deployments", _options.Namespace),
        new("patch", "apps", "deployments", _options.Namespace),
        new("get", "", "configmaps", _options.Namespace),
        new("list", "", "configmaps"),
        new("list", "", "pods"),
        // Envoy admin (15000) and istiod monitoring (15014) through port-forwards; a WebSocket upgrade needs get, and create since Kubernetes 1.35.
        new("get", "", "pods", Subresource: "portforward"),
        new("create", "", "pods", Subresource: "portforward"),
    ];

    public override async Task<PreflightReport> PreflightAsync(RotationKind kind, CancellationToken cancellationToken = default)
    {
        var secret = await ReadSecretAsync(_options.Namespace, _options.Secret, cancellationToken);
        var pluggedIn = secret is not null && Text(secret, CaCert) is not null && Text(secret, CaKey) is not null;
        var caCheck = new PreflightCheck("plug-in CA", pluggedIn, pluggedIn
            ? $"secret {_options.Namespace}/{_options.Secret} holds a plug-in CA"
            : $"secret {_options.Namespace}/{_options.Secret} with {CaCert} and {CaKey} not found: istiod runs its self-signed CA; plug in a CA first (see docs/targets.md)");

        var istiod = await ReadIstiodAsync(cancellationToken);
        if (istiod is null)
            return Report(caCheck, new PreflightCheck("istiod", false, $"deployment {_options.Namespace}/{_options.IstiodDeployment} not found: set the target option istiodDeployment"));

        var (version, versionSource) = VersionOf(istiod);
        var meshConfig = await ReadConfigMapAsync(_options.Namespace, _options.MeshConfigMap, cancellationToken);
        var published = await ReadConfigMapAsync(_options.Namespace, _options.RootConfigMap, cancellationToken);
        var istiodPods = await ListIstiodPodsAsync(istiod, cancellationToken);
        var proxies = kind == RotationKind.Root ? await _proxies.ListMeshedPodsAsync(cancellationToken) : [];
        var facts = new IstioPreflight.Facts(
            $"{_options.Namespace}/{_options.Secret}",
            secret,
            istiod,
            version,
            versionSource,
            MultiRootOf(istiod),
            published,
            istiodPods,
            IstioProxySettings.FromMeshConfig(Text(meshConfig, "mesh"), IstioProxySettings.PcdsEnv),
            proxies.Select(p => (p, IstioProxySettings.FromPod(p, IstioProxySettings.PcdsEnv))).ToList());
        return Report([caCheck, .. IstioPreflight.Judge(kind, facts)]);
    }

    public override async Task ApplyTrustBundleAsync(TrustBundle bundle, RotationWriteContext context, CancellationToken cancellationToken = default)
    {
        var rule = await ReloadRuleAsync(cancellationToken);
        var restart = false;
        await WriteSecretAsync(_options.Namespace, _options.Secret, current =>
        {
            if (current is null || Text(current, CaCert) is null)
                throw new TargetUnavailableException(Name, $"cluster '{Cluster}': secret {_options.Namespace}/{_options.Secret} holds no plug-in CA, so there is no issuer to keep beside the new bundle");
            restart = RestartPending(current, context);
            if (ObjectPem.SameSet(Text(current, RootCert), bundle))
                return null;
            var currentChain = Pem.ReadCertificates(Text(current, CertChain) ?? Text(current, CaCert)!, $"{_options.Secret}/{CertChain}");
            var plan = IstioRootCertPlan.For(Text(current, RootCert), bundle, issuerChanges: false, currentChain[^1], rule);
            restart = !plan.IstiodReloads;
            return WithData(current, context, new Dictionary<string, string> { [RootCert] = plan.Text }, restart, rootsChanged: true);
        }, cancellationToken);
        if (restart)
            await RestartIstiodAsync(context, cancellationToken);
    }

    public override async Task ApplyIssuerAsync(IssuerMaterial issuer, RotationWriteContext context, CancellationToken cancellationToken = default)
    {
        var chain = ChainOf(issuer);
        var rule = await ReloadRuleAsync(cancellationToken);
        var restart = false;
        await WriteSecretAsync(_options.Namespace, _options.Secret, current =>
        {
            restart = RestartPending(current, context);
            var sameIssuer = ObjectPem.SameCertificates(Text(current, CaCert), [issuer.Issuer.Certificate])
                && ObjectPem.SameCertificates(Text(current, CertChain), chain);
            var sameRoots = ObjectPem.SameSet(Text(current, RootCert), issuer.Bundle);
            if (sameIssuer && sameRoots)
                return null;

            // root-cert.pem is built by IstioRootCertPlan: unchanged roots keep their bytes, which istiod reloads in place.
            var plan = IstioRootCertPlan.For(Text(current, RootCert), issuer.Bundle, issuerChanges: !sameIssuer, chain[^1], rule);
            restart = !plan.IstiodReloads;
            var data = new Dictionary<string, string>
            {
                [CaCert] = issuer.Issuer.Certificate.ToPem(),
                [CaKey] = issuer.Issuer.Key.ToPkcs8Pem(),
                [CertChain] = Pem.WriteCertificates(chain),
                [RootCert] = plan.Text,
            };
            return WithData(current ?? NewSecret(), context, data, restart, rootsChanged: !sameRoots);
        }, cancellationToken);
        if (restart)
            await RestartIstiodAsync(context, cancellationToken);
    }

    public override Task<TrustReport> ReportTrustAsync(CancellationToken cancellationToken = default) => ReportTrustAsync(null, cancellationToken);

    /// <param name="rootsChangedAt">When root-cert.pem last changed, for the proxies' time rule, when cacerts itself cannot say (a synced copy).</param>
    internal async Task<TrustReport> ReportTrustAsync(DateTimeOffset? rootsChangedAt, CancellationToken cancellationToken)
    {
        var secret = await ReadSecretAsync(_options.Namespace, _options.Secret, cancellationToken);
        var rootText = Text(secret, RootCert);
        var stores = new List<TrustStoreObservation>
        {
            Observe($"secret {_options.Namespace}/{_options.Secret} {RootCert}", rootText),
        };
        var maps = await GuardAsync($"listing configmaps {_options.RootConfigMap}", () => Paged.ListAllAsync(async token =>
        {
            var page = await Client.CoreV1.ListConfigMapForAllNamespacesAsync(
                fieldSelector: $"metadata.name={_options.RootConfigMap}", limit: PageSize, continueParameter: token, cancellationToken: cancellationToken);
            return ((IEnumerable<V1ConfigMap>)page.Items, page.Metadata?.ContinueProperty);
        }), cancellationToken);
        foreach (var map in maps.OrderBy(m => m.Namespace(), StringComparer.Ordinal))
        {
            var location = $"configmap {map.Namespace()}/{map.Name()}";
            var text = Text(map, RootCert);
            // istiod's leader copies the root-cert.pem bytes it loaded (GetRootCertPem) into this ConfigMap, and writes
            // only when they differ (security/pkg/k8s/configutil.go insertData, 86c9f01). In istiod's own namespace the
            // bytes, not just the set, say whether it loaded what Rotation wrote: A+B and A+B+B are the same set.
            if (map.Namespace() == _options.Namespace && rootText is not null && text != rootText)
                stores.Add(new TrustStoreObservation($"{location} (not byte-equal to cacerts {RootCert}: istiod has not loaded it yet)", []));
            else
                stores.Add(Observe(location, text));
        }

        var leaderMap = maps.FirstOrDefault(m => m.Namespace() == _options.Namespace);
        stores.AddRange(await ObserveReplicasAsync(secret, leaderMap, cancellationToken));
        stores.AddRange(await ObserveProxiesAsync(secret, leaderMap, rootsChangedAt, cancellationToken));
        return new TrustReport(Name, stores);
    }

    /// <summary>The root-cert.pem istiod copied into each namespace's istio-ca-root-cert ConfigMap (one paginated LIST).</summary>
    public async Task<IReadOnlyList<HeldRoots>> ReadPublishedAsync(CancellationToken cancellationToken = default)
    {
        var maps = await GuardAsync($"listing configmaps {_options.RootConfigMap}", () => Paged.ListAllAsync(async token =>
        {
            var page = await Client.CoreV1.ListConfigMapForAllNamespacesAsync(
                fieldSelector: $"metadata.name={_options.RootConfigMap}", limit: PageSize, continueParameter: token, cancellationToken: cancellationToken);
            return ((IEnumerable<V1ConfigMap>)page.Items, page.Metadata?.ContinueProperty);
        }), cancellationToken);
        return maps.OrderBy(m => m.Namespace(), StringComparer.Ordinal)
            .Select(m => Held($"configmap {m.Namespace()}/{m.Name()} {RootCert}", Text(m, RootCert)))
            .ToList();
    }

    /// <summary>
    /// Leaves live in the proxies' memory, so the leaf gate uses its time rule; but it holds while any istiod replica
    /// has not loaded the issuer in cacerts (<see cref="IstiodReplicaEvidence"/>), naming it: such a replica keeps
    /// signing from the old CA however long the gate waits.
    /// </summary>
    public override async Task<LeafReport> ReportLeavesAsync(CancellationToken cancellationToken = default)
    {
        var secret = await ReadSecretAsync(_options.Namespace, _options.Secret, cancellationToken);
        var reads = await ReadReplicasAsync(secret, cancellationToken);
        var lagging = reads.Where(r => r.Loaded == false).ToList();
        if (lagging.Count > 0)
            throw new TargetUnavailableException(Name, $"cluster '{Cluster}': {string.Join("; ", lagging.Select(r => $"istiod pod {r.Pod.Namespace()}/{r.Pod.Name()} {r.Detail}"))}");
        var unreadable = reads.Where(r => r.Loaded is null).Select(r => $"{r.Pod.Name()} ({r.Detail})").ToList();
        return new LeafReport(Name, false, [],
            "Istio workload certificates are delivered over SDS and live only in the proxies' memory; the Kubernetes API does not show them"
            + (unreadable.Count == 0 ? $"; all {reads.Count} istiod replica(s) serve the cert-chain.pem in cacerts" : $"; istiod replica(s) not checked: {string.Join(", ", unreadable)}"));
    }

    private async Task<IReadOnlyList<IstiodReplicaEvidence.ReplicaRead>> ReadReplicasAsync(V1Secret? secret, CancellationToken cancellationToken)
    {
        var istiod = await ReadIstiodAsync(cancellationToken);
        if (istiod is null || secret is null)
            return [];
        var pods = await ListIstiodPodsAsync(istiod, cancellationToken);
        return await _replicas.ReadAsync(pods, Text(secret, RootCert), Text(secret, CertChain) ?? Text(secret, CaCert), cancellationToken);
    }

    /// <summary>
    /// One store per istiod replica. A replica whose gauges show it has not loaded cacerts holds the gate (empty store,
    /// naming why). One whose gauges match is reported with cacerts' roots, saying the gauges cannot show an appended
    /// root. One whose metrics cannot be read is judged by the leader's ConfigMap bytes.
    /// </summary>
    private async Task<IEnumerable<TrustStoreObservation>> ObserveReplicasAsync(V1Secret? secret, V1ConfigMap? leaderMap, CancellationToken cancellationToken)
    {
        var rootText = Text(secret, RootCert);
        var leaderCurrent = rootText is not null && Text(leaderMap, RootCert) == rootText;
        var observations = new List<TrustStoreObservation>();
        foreach (var read in await ReadReplicasAsync(secret, cancellationToken))
        {
            observations.Add(read.Loaded switch
            {
                true => Observe($"{read.Location}: {read.Detail}", rootText),
                false => new TrustStoreObservation($"{read.Location}: {read.Detail}", []),
                null when leaderCurrent => Observe($"{read.Location}: {read.Detail}; judged by the leader's ConfigMap, byte-equal to cacerts", rootText),
                null => new TrustStoreObservation($"{read.Location}: {read.Detail}; the leader's ConfigMap is not byte-equal to cacerts either", []),
            });
        }

        return observations;
    }

    public override async Task<TargetContent> ReadContentAsync(CancellationToken cancellationToken = default)
    {
        var secret = await ReadSecretAsync(_options.Namespace, _options.Secret, cancellationToken);
        var where = $"secret {_options.Namespace}/{_options.Secret}";
        return new TargetContent(Name,
            [Held($"{where} {RootCert}", Text(secret, RootCert))],
            HeldIssuerOf($"{where} {CaCert}", Text(secret, CaCert), Text(secret, CertChain), Text(secret, CaKey)));
    }

    /// <summary>
    /// One store per sampled proxy: the ROOTCA its Envoy validates with. An unreadable proxy is judged by the time
    /// rule: once the longest workload certificate lifetime plus grace has passed since root-cert.pem last changed,
    /// every agent has refreshed its certificate and taken the roots istiod served (the published ConfigMap); before
    /// that it holds the gate, saying until when.
    /// </summary>
    private async Task<IEnumerable<TrustStoreObservation>> ObserveProxiesAsync(V1Secret? secret, V1ConfigMap? published, DateTimeOffset? rootsChangedAt, CancellationToken cancellationToken)
    {
        var pods = await _proxies.ListMeshedPodsAsync(cancellationToken);
        if (pods.Count == 0)
            return [];
        var sample = IstioProxyEvidence.Sample(pods, _options.ProxySample);
        var reads = await _proxies.ReadAsync(sample, cancellationToken);
        var changedAt = rootsChangedAt ?? RootsChangedAt(secret);
        var settledAt = changedAt + _options.CertTtl + _options.Grace;
        var now = Connection.TimeProvider.GetUtcNow();
        var observations = new List<TrustStoreObservation>();
        foreach (var read in reads)
        {
            if (read.Dump is { } dump)
            {
                observations.Add(Observe(read.Location, dump.TrustedCaPem));
            }
            else if (now >= settledAt && Text(published, RootCert) is { } served)
            {
                var (fingerprints, _) = ObjectPem.TryFingerprints(served);
                observations.Add(new TrustStoreObservation(
                    $"{read.Location} (unreadable: {read.Error}; time rule: every proxy refreshed its certificate since {changedAt:u})", fingerprints ?? []));
            }
            else
            {
                observations.Add(new TrustStoreObservation(
                    $"{read.Location} (unreadable: {read.Error}; time rule waits until {settledAt:u})", []));
            }
        }

        return observations;
    }

    private static DateTimeOffset RootsChangedAt(V1Secret? secret)
    {
        if (secret?.Metadata?.Annotations?.TryGetValue(RootsChangedAtAnnotation, out var text) == true
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            return at;
        return secret?.Metadata?.CreationTimestamp is { } created ? new DateTimeOffset(DateTime.SpecifyKind(created, DateTimeKind.Utc)) : DateTimeOffset.MinValue;
    }

    private List<Certificate> ChainOf(IssuerMaterial issuer)
    {
        var chain = issuer.ChainToRoot.ToList();
        if (chain.Count == 0 || !chain[0].Equals(issuer.Issuer.Certificate))
            chain.Insert(0, issuer.Issuer.Certificate);
        return chain;
    }

    private V1Secret NewSecret() => new()
    {
        Metadata = new V1ObjectMeta { Name = _options.Secret, NamespaceProperty = _options.Namespace },
        Type = "Opaque",
    };

    /// <summary>
    /// A write that istiod will not pick up by itself records that istiod must restart, in the same write, so a step
    /// that crashed between the write and the restart still restarts istiod when it runs again.
    /// </summary>
    private static bool RestartPending(V1Secret? secret, RotationWriteContext context) =>
        secret?.Metadata?.Annotations?.TryGetValue(IstiodRestartAnnotation, out var marker) == true && marker == ManagedMetadata.RestartMarker(context);

    private V1Secret WithData(V1Secret secret, RotationWriteContext context, Dictionary<string, string> data, bool restartIstiod, bool rootsChanged)
    {
        StampSecret(secret, context, IssuerSummary(secret, CaCert, RootCert), data);
        if (restartIstiod)
            secret.Metadata.Annotations[IstiodRestartAnnotation] = ManagedMetadata.RestartMarker(context);
        else
            secret.Metadata.Annotations.Remove(IstiodRestartAnnotation);
        if (rootsChanged)
            secret.Metadata.Annotations[RootsChangedAtAnnotation] = Connection.TimeProvider.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
        return secret;
    }

    private Task<V1Deployment?> ReadIstiodAsync(CancellationToken cancellationToken) =>
        GuardAsync($"reading deployment {_options.Namespace}/{_options.IstiodDeployment}",
            () => OrNullAsync(Client.AppsV1.ReadNamespacedDeploymentAsync(_options.IstiodDeployment, _options.Namespace, cancellationToken: cancellationToken)),
            cancellationToken);

    private async Task<IReadOnlyList<V1Pod>> ListIstiodPodsAsync(V1Deployment istiod, CancellationToken cancellationToken)
    {
        var labels = istiod.Spec?.Selector?.MatchLabels;
        if (labels is null || labels.Count == 0)
            return [];
        var selector = string.Join(",", labels.Select(kv => $"{kv.Key}={kv.Value}"));
        var list = await GuardAsync($"listing istiod pods in {_options.Namespace}", () =>
            Client.CoreV1.ListNamespacedPodAsync(_options.Namespace, labelSelector: selector, cancellationToken: cancellationToken), cancellationToken);
        return list.Items.ToList();
    }

    /// <summary>The watcher rule of the istiod that runs (its version and ISTIO_MULTIROOT_MESH); an unknown version gets the strictest GA rule.</summary>
    internal async Task<IstiodReloadRule> ReloadRuleAsync(CancellationToken cancellationToken)
    {
        var istiod = await ReadIstiodAsync(cancellationToken);
        var version = istiod is null ? null : VersionOf(istiod).Version;
        return new IstiodReloadRule(version ?? IstiodReloadRule.FallbackVersion, istiod is not null && MultiRootOf(istiod).Enabled == true);
    }

    private (IstiodVersion? Version, string Source) VersionOf(V1Deployment istiod)
    {
        if (_options.IstiodVersion is { } configured)
            return (IstiodVersion.Parse(configured), $"target option istiodVersion={configured}");
        var image = istiod.Spec?.Template?.Spec?.Containers?.FirstOrDefault(c => c.Name == "discovery")?.Image
            ?? istiod.Spec?.Template?.Spec?.Containers?.FirstOrDefault()?.Image;
        return (IstiodVersion.FromImage(image), $"image {image ?? "(none)"}");
    }

    private static IstioProxySettings.Setting MultiRootOf(V1Deployment istiod)
    {
        var containers = istiod.Spec?.Template?.Spec?.Containers ?? [];
        var container = containers.FirstOrDefault(c => c.Env?.Any(e => e.Name == MultiRootEnv) == true) ?? containers.FirstOrDefault();
        return container is null ? new IstioProxySettings.Setting(false, "istiod has no container") : IstioProxySettings.FromContainer(container, MultiRootEnv, "pilot env");
    }

    private async Task RestartIstiodAsync(RotationWriteContext context, CancellationToken cancellationToken)
    {
        var restarter = new WorkloadRestarter(Connection, Name);
        await restarter.RestartAsync([new WorkloadRef(WorkloadRef.Deployment, _options.Namespace, _options.IstiodDeployment)], context, maxConcurrency: 1, cancellationToken);
    }
}
