using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Writing;
using static Rotation.Infra.Kubernetes.Targets.CustomObjects;

namespace Rotation.Infra.Kubernetes.Targets.TrustManager;

/// <summary>
/// trust-manager distributes roots: Rotation writes the Bundle's source (a ConfigMap or Secret in the trust
/// namespace) and trust-manager copies it into a ConfigMap named after the Bundle in every selected namespace.
/// This target only carries trust: it issues nothing, so ApplyIssuer only keeps the source equal to the issuer's
/// bundle (normally already so: no write). It has no leaves, and reports that as observable with none.
/// </summary>
public sealed class TrustManagerTarget : KubernetesTarget
{
    public const string KindName = "trust-manager";
    public const string Group = "trust.cert-manager.io";
    public const string Version = "v1alpha1";

    private readonly TrustManagerTargetOptions _options;

    public TrustManagerTarget(ClusterConnection connection, TrustManagerTargetOptions options)
        : base(connection, KindName) => _options = options;

    private bool SourceIsSecret => _options.SourceKind == "Secret";
    private string SourceLabel => $"{(SourceIsSecret ? "secret" : "configmap")} {_options.TrustNamespace}/{_options.SourceName}";

    public override IReadOnlyList<ResourcePermission> RequiredPermissions =>
    [
        new("get", Group, "bundles"),
        new("get", "", SourceIsSecret ? "secrets" : "configmaps", _options.TrustNamespace),
        new("update", "", SourceIsSecret ? "secrets" : "configmaps", _options.TrustNamespace),
        new("create", "", SourceIsSecret ? "secrets" : "configmaps", _options.TrustNamespace),
        new("list", "", "configmaps"),
        new("list", "", "secrets"),
        new("get", ClusterBundleGroup, "clusterbundles"),
    ];

    public const string ClusterBundleGroup = "trust-manager.io";
    public const string BundleLabel = "trust.cert-manager.io/bundle";

    public override async Task<PreflightReport> PreflightAsync(RotationKind kind, CancellationToken cancellationToken = default)
    {
        var bundle = await ReadBundleAsync(cancellationToken);
        if (bundle is null)
            return Report(new PreflightCheck("bundle", false, $"Bundle {_options.Bundle} not found: check the target option bundle, and that trust-manager is installed"));
        var reads = Array(bundle, "spec", "sources").OfType<JsonObject>().Any(source =>
            Str(source, SourceIsSecret ? "secret" : "configMap", "name") == _options.SourceName
            && Str(source, SourceIsSecret ? "secret" : "configMap", "key") == _options.SourceKey);
        var targetKey = Str(bundle, "spec", "target", "configMap", "key") ?? Str(bundle, "spec", "target", "secret", "key");
        var clusterBundle = await GuardAsync($"reading ClusterBundle {_options.Bundle}", () => OrNullAsync(
            Client.CustomObjects.GetClusterCustomObjectAsync<JsonObject>(ClusterBundleGroup, "v1alpha2", "clusterbundles", _options.Bundle, cancellationToken)), cancellationToken);
        return Report(
            new PreflightCheck("source", reads, reads
                ? $"Bundle {_options.Bundle} reads {SourceLabel} key {_options.SourceKey}"
                : $"Bundle {_options.Bundle} does not read {SourceLabel} key {_options.SourceKey}: add it to spec.sources, or fix the target options sourceKind/sourceName/sourceKey"),
            new PreflightCheck("target", targetKey is not null, targetKey is not null
                ? $"Bundle {_options.Bundle} writes targets with key {targetKey}"
                : $"Bundle {_options.Bundle} has no spec.target.configMap or spec.target.secret: Rotation reads the trust evidence from the targets"),
            // trust-manager v0.17+ also serves ClusterBundle (trust-manager.io/v1alpha2, pkg/apis/trustmanager/v1alpha2,
            // trust-manager fc1b53dd), labelling its targets trust-manager.io/bundle. This target reads Bundles only.
            new PreflightCheck("ClusterBundle", clusterBundle is null, clusterBundle is null
                ? $"no ClusterBundle {_options.Bundle} (trust-manager.io/v1alpha2) beside the Bundle"
                : $"a ClusterBundle {_options.Bundle} (trust-manager.io/v1alpha2) exists: this target rotates trust.cert-manager.io/v1alpha1 Bundles only and would not see what the ClusterBundle writes; rotate through a Bundle, or remove the ClusterBundle"));
    }

    public override async Task ApplyTrustBundleAsync(TrustBundle bundle, RotationWriteContext context, CancellationToken cancellationToken = default)
    {
        var previous = (string? text) => ObjectPem.Summary("roots", text);
        if (SourceIsSecret)
        {
            await WriteSecretAsync(_options.TrustNamespace, _options.SourceName, current =>
            {
                if (ObjectPem.SameSet(Text(current, _options.SourceKey), bundle))
                    return null;
                var secret = current ?? new V1Secret { Metadata = new V1ObjectMeta { Name = _options.SourceName, NamespaceProperty = _options.TrustNamespace }, Type = "Opaque" };
                secret.Metadata ??= new V1ObjectMeta();
                ManagedMetadata.Stamp(secret.Metadata, context, previous(Text(current, _options.SourceKey)));
                secret.Data ??= new Dictionary<string, byte[]>();
                secret.Data[_options.SourceKey] = Bytes(bundle.ToPem());
                return secret;
            }, cancellationToken);
            return;
        }

        await WriteConfigMapAsync(_options.TrustNamespace, _options.SourceName, current =>
        {
            if (ObjectPem.SameSet(Text(current, _options.SourceKey), bundle))
                return null;
            var map = current ?? new V1ConfigMap { Metadata = new V1ObjectMeta { Name = _options.SourceName, NamespaceProperty = _options.TrustNamespace } };
            map.Metadata ??= new V1ObjectMeta();
            ManagedMetadata.Stamp(map.Metadata, context, previous(Text(current, _options.SourceKey)));
            map.Data ??= new Dictionary<string, string>();
            map.Data[_options.SourceKey] = bundle.ToPem();
            return map;
        }, cancellationToken);
    }

    /// <summary>Issues nothing (trust-manager only carries trust); keeps the source equal to the issuer's bundle, which is normally already the case.</summary>
    public override Task ApplyIssuerAsync(IssuerMaterial issuer, RotationWriteContext context, CancellationToken cancellationToken = default) =>
        ApplyTrustBundleAsync(issuer.Bundle, context, cancellationToken);

    public override async Task<TrustReport> ReportTrustAsync(CancellationToken cancellationToken = default)
    {
        var bundle = await ReadBundleAsync(cancellationToken);
        var source = SourceIsSecret
            ? Text(await ReadSecretAsync(_options.TrustNamespace, _options.SourceName, cancellationToken), _options.SourceKey)
            : Text(await ReadConfigMapAsync(_options.TrustNamespace, _options.SourceName, cancellationToken), _options.SourceKey);
        // A target's content is not a consumer that loaded it: kubelet syncs mounted ConfigMaps with a delay, subPath
        // mounts and environment variables never update, and applications must reload. Use endpoint evidence for
        // consumers that matter.
        var stores = new List<TrustStoreObservation> { Observe($"{SourceLabel} {_options.SourceKey} (source; targets below show content, not that their consumers reloaded it)", source) };
        if (bundle is null)
        {
            stores.Add(new TrustStoreObservation($"Bundle {_options.Bundle} (not found)", []));
            return new TrustReport(Name, stores);
        }

        // Synced carries the Bundle's generation, which an edit of a source does not change (pkg/bundle/bundle.go,
        // trust-manager fc1b53dd): True proves nothing about the current source. Only Synced=False is used, as a
        // store holding nothing that names the failure (targets after the failed one keep their old content).
        var synced = Condition(bundle, "Synced");
        if (Str(synced, "status") == "False")
            stores.Add(new TrustStoreObservation($"Bundle {_options.Bundle} (Synced=False: {Str(synced, "reason")}: {Str(synced, "message")})", []));

        // The evidence is the targets' content, found by trust-manager's label (pkg/apis/trust/v1alpha1 BundleLabelKey),
        // not by name: an unrelated ConfigMap with the Bundle's name is not a target.
        var selector = $"{BundleLabel}={_options.Bundle}";
        if (Str(bundle, "spec", "target", "configMap", "key") is { } mapKey)
        {
            var maps = await GuardAsync($"listing configmaps of Bundle {_options.Bundle}", () => Paged.ListAllAsync(async token =>
            {
                var page = await Client.CoreV1.ListConfigMapForAllNamespacesAsync(labelSelector: selector, limit: PageSize, continueParameter: token, cancellationToken: cancellationToken);
                return ((IEnumerable<V1ConfigMap>)page.Items, page.Metadata?.ContinueProperty);
            }), cancellationToken);
            stores.AddRange(maps
                .Where(m => m.Name() == _options.Bundle)
                .OrderBy(m => m.Namespace(), StringComparer.Ordinal)
                .Select(m => Observe($"configmap {m.Namespace()}/{m.Name()}", Text(m, mapKey))));
        }

        if (Str(bundle, "spec", "target", "secret", "key") is { } secretKey)
        {
            var secrets = await GuardAsync($"listing secrets of Bundle {_options.Bundle}", () => Paged.ListAllAsync(async token =>
            {
                var page = await Client.CoreV1.ListSecretForAllNamespacesAsync(labelSelector: selector, limit: PageSize, continueParameter: token, cancellationToken: cancellationToken);
                return ((IEnumerable<V1Secret>)page.Items, page.Metadata?.ContinueProperty);
            }), cancellationToken);
            stores.AddRange(secrets
                .Where(m => m.Name() == _options.Bundle)
                .OrderBy(m => m.Namespace(), StringComparer.Ordinal)
                .Select(m => Observe($"secret {m.Namespace()}/{m.Name()}", Text(m, secretKey))));
        }

        return new TrustReport(Name, stores);
    }

    public override Task<LeafReport> ReportLeavesAsync(CancellationToken cancellationToken = default) =>
        // Observable with none: this target issues nothing, so it gives the leaf gate nothing to wait for.
        Task.FromResult(new LeafReport(Name, true, [], "trust-manager distributes roots only; it issues no leaves"));

    /// <summary>The source this target writes; it issues nothing. An absent source is Rotation's to create, so it is no drift.</summary>
    public override async Task<TargetContent> ReadContentAsync(CancellationToken cancellationToken = default)
    {
        var source = SourceIsSecret
            ? Text(await ReadSecretAsync(_options.TrustNamespace, _options.SourceName, cancellationToken), _options.SourceKey)
            : Text(await ReadConfigMapAsync(_options.TrustNamespace, _options.SourceName, cancellationToken), _options.SourceKey);
        return new TargetContent(Name, [Held($"{SourceLabel} {_options.SourceKey}", source, mayBeAbsent: true)], null);
    }

    private Task<JsonObject?> ReadBundleAsync(CancellationToken cancellationToken) =>
        GuardAsync($"reading Bundle {_options.Bundle}",
            () => OrNullAsync(Client.CustomObjects.GetClusterCustomObjectAsync<JsonObject>(Group, Version, "bundles", _options.Bundle, cancellationToken)),
            cancellationToken);
}
