using k8s;
using k8s.Models;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Writing;

namespace Rotation.Infra.Kubernetes.Targets.Istio;

/// <summary>
/// Istio's plug-in CA: the secret cacerts (ca-cert.pem, ca-key.pem, cert-chain.pem, root-cert.pem) that istiod signs
/// workload certificates from. istiod copies root-cert.pem into the ConfigMap istio-ca-root-cert of every namespace;
/// those copies are the trust evidence. Workload leaves live in the proxies' memory, so leaves are not observable.
/// </summary>
public sealed class IstioPluginCaTarget : KubernetesTarget
{
    public const string KindName = "istio";
    public const string MultiRootEnv = "ISTIO_MULTIROOT_MESH";
    private const string CaCert = "ca-cert.pem";
    private const string CaKey = "ca-key.pem";
    private const string CertChain = "cert-chain.pem";
    private const string RootCert = "root-cert.pem";
    private const string IstiodRestartAnnotation = "rotation.dev/istiod-restart";

    private readonly IstioTargetOptions _options;

    public IstioPluginCaTarget(ClusterConnection connection, IstioTargetOptions options)
        : base(connection, KindName) => _options = options;

    public override IReadOnlyList<ResourcePermission> RequiredPermissions =>
    [
        new("get", "", "secrets", _options.Namespace),
        new("update", "", "secrets", _options.Namespace),
        new("get", "apps", "deployments", _options.Namespace),
        new("patch", "apps", "deployments", _options.Namespace),
        new("list", "", "configmaps"),
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

        var multiRoot = HasMultiRoot(istiod);
        var versionCheck = new PreflightCheck("version", true, $"istiod runs {ImagesOf(istiod)}");
        var multiRootCheck = kind == RotationKind.Root
            ? new PreflightCheck("multi-root", multiRoot, multiRoot
                ? $"istiod runs with {MultiRootEnv}=true"
                : $"istiod runs without {MultiRootEnv}=true, so it ignores a root-cert.pem with more than one root and a root rotation would break mTLS: set pilot env {MultiRootEnv}=true (istioctl install --set values.pilot.env.{MultiRootEnv}=true) and retry")
            : new PreflightCheck("multi-root", true, multiRoot
                ? $"istiod runs with {MultiRootEnv}=true: it reloads the new intermediate in place"
                : $"istiod runs without {MultiRootEnv}: Rotation restarts istiod to load the new intermediate");
        return Report(caCheck, versionCheck, multiRootCheck);
    }

    public override async Task ApplyTrustBundleAsync(TrustBundle bundle, RotationWriteContext context, CancellationToken cancellationToken = default)
    {
        var multiRoot = await IsMultiRootAsync(cancellationToken);
        var restart = false;
        await WriteSecretAsync(_options.Namespace, _options.Secret, current =>
        {
            if (current is null || Text(current, CaCert) is null)
                throw new TargetUnavailableException(Name, $"cluster '{Cluster}': secret {_options.Namespace}/{_options.Secret} holds no plug-in CA, so there is no issuer to keep beside the new bundle");
            restart = RestartPending(current, context);
            if (PemText.SameSet(Text(current, RootCert), bundle))
                return null;
            var currentChain = Pem.ReadCertificates(Text(current, CertChain) ?? Text(current, CaCert)!, $"{_options.Secret}/{CertChain}");
            var plan = IstioRootCertPlan.For(Text(current, RootCert), bundle, issuerChanges: false, currentChain[^1], multiRoot);
            restart = !plan.IstiodReloads;
            return WithData(current, context, new Dictionary<string, string> { [RootCert] = plan.Text }, restart);
        }, cancellationToken);
        if (restart)
            await RestartIstiodAsync(context, cancellationToken);
    }

    public override async Task ApplyIssuerAsync(IssuerMaterial issuer, RotationWriteContext context, CancellationToken cancellationToken = default)
    {
        var chain = ChainOf(issuer);
        var multiRoot = await IsMultiRootAsync(cancellationToken);
        var restart = false;
        await WriteSecretAsync(_options.Namespace, _options.Secret, current =>
        {
            restart = RestartPending(current, context);
            var sameIssuer = PemText.SameCertificates(Text(current, CaCert), [issuer.Issuer.Certificate])
                && PemText.SameCertificates(Text(current, CertChain), chain);
            var sameRoots = PemText.SameSet(Text(current, RootCert), issuer.Bundle);
            if (sameIssuer && sameRoots)
                return null;

            // root-cert.pem is built here: see IstioRootCertPlan for why an unchanged root set gets its issuer's root
            // written a second time (the A+B+B of the published procedure) when the intermediate switches.
            var plan = IstioRootCertPlan.For(Text(current, RootCert), issuer.Bundle, issuerChanges: !sameIssuer, chain[^1], multiRoot);
            restart = !plan.IstiodReloads;
            var data = new Dictionary<string, string>
            {
                [CaCert] = issuer.Issuer.Certificate.ToPem(),
                [CaKey] = issuer.Issuer.Key.ToPkcs8Pem(),
                [CertChain] = Pem.WriteCertificates(chain),
                [RootCert] = plan.Text,
            };
            return WithData(current ?? NewSecret(), context, data, restart);
        }, cancellationToken);
        if (restart)
            await RestartIstiodAsync(context, cancellationToken);
    }

    public override async Task<TrustReport> ReportTrustAsync(CancellationToken cancellationToken = default)
    {
        var secret = await ReadSecretAsync(_options.Namespace, _options.Secret, cancellationToken);
        var stores = new List<TrustStoreObservation>
        {
            Observe($"secret {_options.Namespace}/{_options.Secret} {RootCert}", Text(secret, RootCert)),
        };
        var maps = await GuardAsync($"listing configmaps {_options.RootConfigMap}", () => Paged.ListAllAsync(async token =>
        {
            var page = await Client.CoreV1.ListConfigMapForAllNamespacesAsync(
                fieldSelector: $"metadata.name={_options.RootConfigMap}", limit: PageSize, continueParameter: token, cancellationToken: cancellationToken);
            return ((IEnumerable<V1ConfigMap>)page.Items, page.Metadata?.ContinueProperty);
        }), cancellationToken);
        stores.AddRange(maps
            .OrderBy(m => m.Namespace(), StringComparer.Ordinal)
            .Select(m => Observe($"configmap {m.Namespace()}/{m.Name()}", Text(m, RootCert))));
        return new TrustReport(Name, stores);
    }

    public override Task<LeafReport> ReportLeavesAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(new LeafReport(Name, false, [],
            "Istio workload certificates are delivered over SDS and live only in the proxies' memory; the Kubernetes API does not show them"));

    public override async Task<TargetContent> ReadContentAsync(CancellationToken cancellationToken = default)
    {
        var secret = await ReadSecretAsync(_options.Namespace, _options.Secret, cancellationToken);
        var where = $"secret {_options.Namespace}/{_options.Secret}";
        return new TargetContent(Name,
            [Held($"{where} {RootCert}", Text(secret, RootCert))],
            HeldIssuerOf($"{where} {CaCert}", Text(secret, CaCert), Text(secret, CertChain), Text(secret, CaKey)));
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

    private static V1Secret WithData(V1Secret secret, RotationWriteContext context, Dictionary<string, string> data, bool restartIstiod)
    {
        StampSecret(secret, context, IssuerSummary(secret, CaCert, RootCert), data);
        if (restartIstiod)
            secret.Metadata.Annotations[IstiodRestartAnnotation] = ManagedMetadata.RestartMarker(context);
        else
            secret.Metadata.Annotations.Remove(IstiodRestartAnnotation);
        return secret;
    }

    private Task<V1Deployment?> ReadIstiodAsync(CancellationToken cancellationToken) =>
        GuardAsync($"reading deployment {_options.Namespace}/{_options.IstiodDeployment}",
            () => OrNullAsync(Client.AppsV1.ReadNamespacedDeploymentAsync(_options.IstiodDeployment, _options.Namespace, cancellationToken: cancellationToken)),
            cancellationToken);

    private async Task<bool> IsMultiRootAsync(CancellationToken cancellationToken) =>
        await ReadIstiodAsync(cancellationToken) is { } istiod && HasMultiRoot(istiod);

    private static bool HasMultiRoot(V1Deployment istiod) =>
        istiod.Spec?.Template?.Spec?.Containers?.Any(c => c.Env?.Any(e => e.Name == MultiRootEnv && string.Equals(e.Value, "true", StringComparison.OrdinalIgnoreCase)) == true) == true;

    private async Task RestartIstiodAsync(RotationWriteContext context, CancellationToken cancellationToken)
    {
        var restarter = new DeploymentRestarter(Connection, Name);
        await restarter.RestartAsync([(_options.Namespace, _options.IstiodDeployment)], context, maxConcurrency: 1, cancellationToken);
    }
}
