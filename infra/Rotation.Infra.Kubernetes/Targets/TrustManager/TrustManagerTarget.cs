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
    ];

    public override async Task<PreflightReport> PreflightAsync(RotationKind kind, CancellationToken cancellationToken = default)
    {
        var bundle = await ReadBundleAsync(cancellationToken);
        if (bundle is null)
            return Report(new PreflightCheck("bundle", false, $"Bundle {_options.Bundle} not found: check the target option bundle, and that trust-manager is installed"));
        var reads = Array(bundle, "spec", "sources").OfType<JsonObject>().Any(source =>
            Str(source, SourceIsSecret ? "secret" : "configMap", "name") == _options.SourceName
            && Str(source, SourceIsSecret ? "secret" : "configMap", "key") == _options.SourceKey);
        var targetKey = Str(bundle, "spec", "target", "configMap", "key");
        return Report(
            new PreflightCheck("source", reads, reads
                ? $"Bundle {_options.Bundle} reads {SourceLabel} key {_options.SourceKey}"
                : $"Bundle {_options.Bundle} does not read {SourceLabel} key {_options.SourceKey}: add it to spec.sources, or fix the target options sourceKind/sourceName/sourceKey"),
            new PreflightCheck("target", targetKey is not null, targetKey is not null
                ? $"Bundle {_options.Bundle} writes ConfigMaps with key {targetKey}"
                : $"Bundle {_options.Bundle} has no spec.target.configMap: Rotation reads the trust evidence from the target ConfigMaps"));
    }

    public override async Task ApplyTrustBundleAsync(TrustBundle bundle, RotationWriteContext context, CancellationToken cancellationToken = default)
    {
        var previous = (string? text) => PemText.Summary("roots", text);
        if (SourceIsSecret)
        {
            await WriteSecretAsync(_options.TrustNamespace, _options.SourceName, current =>
            {
                if (PemText.SameSet(Text(current, _options.SourceKey), bundle))
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
            if (PemText.SameSet(Text(current, _options.SourceKey), bundle))
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
        var stores = new List<TrustStoreObservation> { Observe($"{SourceLabel} {_options.SourceKey}", source) };
        if (bundle is null)
        {
            stores.Add(new TrustStoreObservation($"Bundle {_options.Bundle} (not found)", []));
            return new TrustReport(Name, stores);
        }

        // Until trust-manager has synced the current generation, its ConfigMaps may hold an older set: the Bundle
        // itself is reported as a store that holds nothing, so the gate names it and waits.
        var synced = Condition(bundle, "Synced");
        var generation = Long(bundle, "metadata", "generation");
        var observed = Long(synced, "observedGeneration");
        if (Str(synced, "status") != "True" || (generation is not null && observed != generation))
            stores.Add(new TrustStoreObservation($"Bundle {_options.Bundle} (not synced: {Str(synced, "reason") ?? "no Synced condition"}, observedGeneration {observed?.ToString() ?? "none"} of {generation})", []));

        var key = Str(bundle, "spec", "target", "configMap", "key") ?? "ca-bundle.crt";
        var maps = await GuardAsync($"listing configmaps {_options.Bundle}", () => Paged.ListAllAsync(async token =>
        {
            var page = await Client.CoreV1.ListConfigMapForAllNamespacesAsync(fieldSelector: $"metadata.name={_options.Bundle}", limit: PageSize, continueParameter: token, cancellationToken: cancellationToken);
            return ((IEnumerable<V1ConfigMap>)page.Items, page.Metadata?.ContinueProperty);
        }), cancellationToken);
        stores.AddRange(maps
            .OrderBy(m => m.Namespace(), StringComparer.Ordinal)
            .Select(m => Observe($"configmap {m.Namespace()}/{m.Name()}", Text(m, key))));
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
