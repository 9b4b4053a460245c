using Rotation.Core.Domain;
using Rotation.Infra.Files;
using Rotation.Infra.Files.Endpoints;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Targets.AksIstio;
using Rotation.Infra.Kubernetes.Targets.CertManager;
using Rotation.Infra.Kubernetes.Targets.Istio;
using Rotation.Infra.Kubernetes.Targets.Linkerd;
using Rotation.Infra.Kubernetes.Targets.TrustManager;

namespace Rotation.Infra.Kubernetes.Targets;

/// <summary>The target kinds a cluster can carry, their option names, and how each is built.</summary>
public static class TargetCatalog
{
    private static readonly Dictionary<string, IReadOnlyList<string>> OptionKeys = new(StringComparer.Ordinal)
    {
        [IstioPluginCaTarget.KindName] = IstioTargetOptions.Keys,
        [AksIstioPluginCaTarget.KindName] = AksIstioTargetOptions.Keys,
        [LinkerdTarget.KindName] = LinkerdTargetOptions.Keys,
        [CertManagerCaIssuerTarget.KindName] = CertManagerTargetOptions.Keys,
        [TrustManagerTarget.KindName] = TrustManagerTargetOptions.Keys,
        [FilesTarget.KindName] = FilesTargetOptions.Keys,
    };

    public static IReadOnlyCollection<string> Kinds => OptionKeys.Keys;

    /// <summary>Kinds that live outside Kubernetes: registered with <see cref="ClusterConnectionKind.Host"/>, built by the resolver, not from a connection.</summary>
    public static bool IsHostKind(string kind) => kind == FilesTarget.KindName;

    /// <summary>A kind's own options plus the endpoint evidence options every kind accepts.</summary>
    public static IReadOnlyList<string> OptionsOf(string kind) => OptionKeys.TryGetValue(kind, out var keys) ? [.. keys, .. EndpointEvidenceOptions.Keys] : [];

    /// <summary>Checks the kind, the option names and values. Throws a one-line <see cref="DomainException"/>.</summary>
    public static void Validate(TargetSpec spec)
    {
        if (!OptionKeys.TryGetValue(spec.Kind, out var keys))
            throw new DomainException($"unknown target kind '{spec.Kind}': use one of {string.Join(", ", Kinds)}");
        var all = OptionsOf(spec.Kind);
        var unknown = spec.Options.Keys.FirstOrDefault(k => !all.Contains(k));
        if (unknown is not null)
            throw new DomainException($"target '{spec.Kind}' has no option '{unknown}': its options are {string.Join(", ", all)}");
        _ = EndpointEvidenceOptions.From(spec.Options);
        if (IsHostKind(spec.Kind))
            _ = FilesTargetOptions.From(spec.Options);
        else
            _ = ParseOptions(spec, new KubernetesAdapterOptions());
    }

    public static KubernetesTarget Create(ClusterConnection connection, TargetSpec spec)
    {
        Validate(spec);
        if (IsHostKind(spec.Kind))
            throw new DomainException($"target '{spec.Kind}' is not a Kubernetes target: register it on a host (rotation cluster add NAME --dir DIR)");
        return ParseOptions(spec, connection.Options) switch
        {
            IstioTargetOptions istio => new IstioPluginCaTarget(connection, istio),
            AksIstioTargetOptions aksIstio => new AksIstioPluginCaTarget(connection, aksIstio),
            LinkerdTargetOptions linkerd => new LinkerdTarget(connection, linkerd),
            CertManagerTargetOptions certManager => new CertManagerCaIssuerTarget(connection, certManager),
            TrustManagerTargetOptions trustManager => new TrustManagerTarget(connection, trustManager),
            _ => throw new DomainException($"unknown target kind '{spec.Kind}'"),
        };
    }

    private static object ParseOptions(TargetSpec spec, KubernetesAdapterOptions adapter) => spec.Kind switch
    {
        IstioPluginCaTarget.KindName => IstioTargetOptions.From(spec),
        AksIstioPluginCaTarget.KindName => AksIstioTargetOptions.From(spec),
        LinkerdTarget.KindName => LinkerdTargetOptions.From(spec, adapter.RestartConcurrency, adapter.MountedConfigMapSyncWait),
        CertManagerCaIssuerTarget.KindName => CertManagerTargetOptions.From(spec),
        TrustManagerTarget.KindName => TrustManagerTargetOptions.From(spec),
        _ => throw new DomainException($"unknown target kind '{spec.Kind}': use one of {string.Join(", ", Kinds)}"),
    };
}
