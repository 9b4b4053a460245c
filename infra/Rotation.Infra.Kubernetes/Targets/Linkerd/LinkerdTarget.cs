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
        .. RestartScope.SelectMany(ns => new ResourcePermission[] { new("list", "apps", "deployments", ns), new("get", "apps", "deployments", ns), new("patch", "apps", "deployments", ns) }),
    ];

    private IReadOnlyList<string> RestartScope => [_options.Namespace, .. _options.RestartNamespaces.Where(n => n != _options.Namespace)];

    public override async Task<PreflightReport> PreflightAsync(RotationKind kind, CancellationToken cancellationToken = default)
    {
        var map = await ReadConfigMapAsync(_options.Namespace, _options.TrustRootsConfigMap, cancellationToken);
        var secret = await ReadSecretAsync(_options.Namespace, _options.IssuerSecret, cancellationToken);
        var hasIssuer = Text(secret, "tls.crt") is not null && Text(secret, "tls.key") is not null;
        var identity = await GuardAsync($"reading deployment {_options.Namespace}/linkerd-identity",
            () => OrNullAsync(Client.AppsV1.ReadNamespacedDeploymentAsync("linkerd-identity", _options.Namespace, cancellationToken: cancellationToken)), cancellationToken);
        return Report(
            new PreflightCheck("version", true, identity is null
                ? $"deployment {_options.Namespace}/linkerd-identity not found: version unknown"
                : $"linkerd-identity runs {ImagesOf(identity)}"),
            new PreflightCheck("trust roots", map is not null, map is not null
                ? $"configmap {_options.Namespace}/{_options.TrustRootsConfigMap} found"
                : $"configmap {_options.Namespace}/{_options.TrustRootsConfigMap} not found: install Linkerd with an external trust anchor (identity.externalCA) or set option trustRootsConfigMap"),
            new PreflightCheck("issuer", hasIssuer, hasIssuer
                ? $"secret {_options.Namespace}/{_options.IssuerSecret} holds tls.crt and tls.key"
                : $"secret {_options.Namespace}/{_options.IssuerSecret} with tls.crt and tls.key not found: Linkerd must use the kubernetes.io/tls issuer scheme (identity.issuer.scheme=kubernetes.io/tls)"),
            new PreflightCheck("restarts", true, _options.RestartNamespaces.Count > 0
                ? $"meshed Deployments in {string.Join(", ", _options.RestartNamespaces)} are restarted, {_options.RestartConcurrency} at a time"
                : "no namespace opted in to restarts: meshed pods outside the control plane keep their old anchors until restarted, and the trust gate waits for them"));
    }

    public override async Task ApplyTrustBundleAsync(TrustBundle bundle, RotationWriteContext context, CancellationToken cancellationToken = default)
    {
        var changed = await WriteBundleAsync(bundle, context, cancellationToken);
        await WriteSecretAsync(_options.Namespace, _options.IssuerSecret, current =>
        {
            if (current is null || PemText.SameSet(Text(current, "ca.crt"), bundle))
                return null;
            return WithData(current, context, new Dictionary<string, string> { ["ca.crt"] = bundle.ToPem() });
        }, cancellationToken);
        await RestartIfNeededAsync(bundle, changed, context, cancellationToken);
    }

    public override async Task ApplyIssuerAsync(IssuerMaterial issuer, RotationWriteContext context, CancellationToken cancellationToken = default)
    {
        // Proxies present leaf + issuer chain; the self-signed root stays out of tls.crt (peers hold it as an anchor).
        var chain = new List<Certificate> { issuer.Issuer.Certificate };
        chain.AddRange(issuer.ChainToRoot.Where(c => !c.Equals(issuer.Issuer.Certificate) && !c.IsSelfSigned));
        var bundleChanged = await WriteBundleAsync(issuer.Bundle, context, cancellationToken);
        await WriteSecretAsync(_options.Namespace, _options.IssuerSecret, current =>
        {
            if (PemText.SameCertificates(Text(current, "tls.crt"), chain) && PemText.SameSet(Text(current, "ca.crt"), issuer.Bundle))
                return null;
            var secret = current ?? new V1Secret
            {
                Metadata = new V1ObjectMeta { Name = _options.IssuerSecret, NamespaceProperty = _options.Namespace },
                Type = "kubernetes.io/tls",
            };
            return WithData(secret, context, new Dictionary<string, string>
            {
                ["tls.crt"] = Pem.WriteCertificates(chain),
                ["tls.key"] = issuer.Issuer.Key.ToPkcs8Pem(),
                ["ca.crt"] = issuer.Bundle.ToPem(),
            });
        }, cancellationToken);

        // Normally the bundle is unchanged here; when it is not (an abort before the trust gate passed), proxies need the same restarts.
        await RestartIfNeededAsync(issuer.Bundle, bundleChanged, context, cancellationToken);
    }

    public override async Task<TrustReport> ReportTrustAsync(CancellationToken cancellationToken = default)
    {
        var map = await ReadConfigMapAsync(_options.Namespace, _options.TrustRootsConfigMap, cancellationToken);
        var stores = new List<TrustStoreObservation> { Observe($"configmap {_options.Namespace}/{_options.TrustRootsConfigMap}", Text(map, BundleKey)) };
        stores.AddRange(await ObserveProxiesAsync(cancellationToken));
        return new TrustReport(Name, stores);
    }

    public override Task<LeafReport> ReportLeavesAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(new LeafReport(Name, false, [],
            "Linkerd proxies fetch their leaves from the identity controller and keep them in memory; the Kubernetes API does not show them"));

    public override async Task<TargetContent> ReadContentAsync(CancellationToken cancellationToken = default)
    {
        var map = await ReadConfigMapAsync(_options.Namespace, _options.TrustRootsConfigMap, cancellationToken);
        var secret = await ReadSecretAsync(_options.Namespace, _options.IssuerSecret, cancellationToken);
        var where = $"secret {_options.Namespace}/{_options.IssuerSecret}";
        var trust = new List<HeldRoots> { Held($"configmap {_options.Namespace}/{_options.TrustRootsConfigMap} {BundleKey}", Text(map, BundleKey)) };
        // ca.crt beside the issuer is optional in Linkerd's issuer secret; Rotation writes it when the secret exists.
        if (Text(secret, "ca.crt") is { } caCrt)
            trust.Add(Held($"{where} ca.crt", caCrt));
        return new TargetContent(Name, trust, HeldIssuerOf($"{where} tls.crt", Text(secret, "tls.crt"), null, Text(secret, "tls.key")));
    }

    private async Task<IReadOnlyList<TrustStoreObservation>> ObserveProxiesAsync(CancellationToken cancellationToken)
    {
        var pods = await GuardAsync("listing meshed pods", () => Paged.ListAllAsync(async token =>
        {
            var page = await Client.CoreV1.ListPodForAllNamespacesAsync(labelSelector: MeshedPodLabel, limit: PageSize, continueParameter: token, cancellationToken: cancellationToken);
            return ((IEnumerable<V1Pod>)page.Items, page.Metadata?.ContinueProperty);
        }), cancellationToken);
        return pods
            .Where(p => p.Status?.Phase is not ("Succeeded" or "Failed"))
            .OrderBy(p => p.Namespace(), StringComparer.Ordinal).ThenBy(p => p.Name(), StringComparer.Ordinal)
            .Select(ObservePod)
            .ToList();
    }

    private TrustStoreObservation ObservePod(V1Pod pod)
    {
        var location = $"pod {pod.Namespace()}/{pod.Name()}";
        // Native sidecars (Linkerd 2.15+) put the proxy among the init containers.
        var proxy = (pod.Spec?.Containers ?? []).Concat(pod.Spec?.InitContainers ?? []).FirstOrDefault(c => c.Name == ProxyContainer);
        var env = proxy?.Env?.FirstOrDefault(e => e.Name == TrustAnchorsEnv);
        if (env?.Value is null)
            return new TrustStoreObservation($"{location} (no {TrustAnchorsEnv} value on {ProxyContainer})", []);
        return Observe(location, env.Value);
    }

    /// <summary>
    /// Restarts when the anchors changed now, or when some proxy still runs with other anchors (a re-run after a crash
    /// between the write and the restarts). Deployments already restarted for this rotation and phase are skipped.
    /// </summary>
    private async Task RestartIfNeededAsync(TrustBundle bundle, bool changed, RotationWriteContext context, CancellationToken cancellationToken)
    {
        if (changed || !await ProxiesHoldAsync(bundle, cancellationToken))
            await RestartMeshAsync(context, cancellationToken);
    }

    /// <summary>Whether every proxy a restart could reach (control plane and opted-in namespaces) runs with <paramref name="bundle"/>.</summary>
    private async Task<bool> ProxiesHoldAsync(TrustBundle bundle, CancellationToken cancellationToken)
    {
        var scope = RestartScope.Select(ns => $"pod {ns}/").ToList();
        var proxies = await ObserveProxiesAsync(cancellationToken);
        return proxies
            .Where(p => scope.Any(prefix => p.Location.StartsWith(prefix, StringComparison.Ordinal)))
            .All(p => p.Sha256Fingerprints.ToHashSet().SetEquals(bundle.Fingerprints));
    }

    private Task<bool> WriteBundleAsync(TrustBundle bundle, RotationWriteContext context, CancellationToken cancellationToken) =>
        WriteConfigMapAsync(_options.Namespace, _options.TrustRootsConfigMap, current =>
        {
            if (PemText.SameSet(Text(current, BundleKey), bundle))
                return null;
            var map = current ?? new V1ConfigMap { Metadata = new V1ObjectMeta { Name = _options.TrustRootsConfigMap, NamespaceProperty = _options.Namespace } };
            map.Metadata ??= new V1ObjectMeta();
            ManagedMetadata.Stamp(map.Metadata, context, PemText.Summary("roots", Text(current, BundleKey)));
            map.Data ??= new Dictionary<string, string>();
            map.Data[BundleKey] = bundle.ToPem();
            return map;
        }, cancellationToken);

    private static V1Secret WithData(V1Secret secret, RotationWriteContext context, Dictionary<string, string> data) =>
        StampSecret(secret, context, IssuerSummary(secret, "tls.crt", "ca.crt"), data);

    /// <summary>The control plane first (its identity controller and injector must serve the new anchors), then opted-in namespaces.</summary>
    private async Task RestartMeshAsync(RotationWriteContext context, CancellationToken cancellationToken)
    {
        var restarter = new DeploymentRestarter(Connection, Name);
        var controlPlane = await ListDeploymentsAsync(_options.Namespace, meshedOnly: false, cancellationToken);
        await restarter.RestartAsync(controlPlane, context, _options.RestartConcurrency, cancellationToken);
        var workloads = new List<(string, string)>();
        foreach (var ns in _options.RestartNamespaces.Where(n => n != _options.Namespace))
            workloads.AddRange(await ListDeploymentsAsync(ns, meshedOnly: true, cancellationToken));
        await restarter.RestartAsync(workloads, context, _options.RestartConcurrency, cancellationToken);
    }

    private Task<List<(string, string)>> ListDeploymentsAsync(string ns, bool meshedOnly, CancellationToken cancellationToken) =>
        GuardAsync($"listing deployments in {ns}", async () =>
        {
            var deployments = await Paged.ListAllAsync(async token =>
            {
                var page = await Client.AppsV1.ListNamespacedDeploymentAsync(ns, limit: PageSize, continueParameter: token, cancellationToken: cancellationToken);
                return ((IEnumerable<V1Deployment>)page.Items, page.Metadata?.ContinueProperty);
            });
            return deployments
                .Where(d => !meshedOnly || IsMeshed(d))
                .OrderBy(d => d.Name(), StringComparer.Ordinal)
                .Select(d => (ns, d.Name()))
                .ToList();
        }, cancellationToken);

    /// <summary>Meshed unless its pod template opts out of injection (the namespace itself is opted in by the operator).</summary>
    private static bool IsMeshed(V1Deployment deployment) =>
        deployment.Spec?.Template?.Metadata?.Annotations?.TryGetValue("linkerd.io/inject", out var inject) != true || inject != "disabled";
}
