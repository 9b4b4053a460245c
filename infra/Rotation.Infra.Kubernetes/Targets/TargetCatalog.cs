using Rotation.Core.Domain;
using Rotation.Infra.Kubernetes.Clusters;
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
        [LinkerdTarget.KindName] = LinkerdTargetOptions.Keys,
        [CertManagerCaIssuerTarget.KindName] = CertManagerTargetOptions.Keys,
        [TrustManagerTarget.KindName] = TrustManagerTargetOptions.Keys,
    };

    public static IReadOnlyCollection<string> Kinds => OptionKeys.Keys;

    public static IReadOnlyList<string> OptionsOf(string kind) => OptionKeys.TryGetValue(kind, out var keys) ? keys : [];

    /// <summary>Checks the kind, the option names and values. Throws a one-line <see cref="DomainException"/>.</summary>
    public static void Validate(TargetSpec spec)
    {
        if (!OptionKeys.TryGetValue(spec.Kind, out var keys))
            throw new DomainException($"unknown target kind '{spec.Kind}': use one of {string.Join(", ", Kinds)}");
        var unknown = spec.Options.Keys.FirstOrDefault(k => !keys.Contains(k));
        if (unknown is not null)
            throw new DomainException($"target '{spec.Kind}' has no option '{unknown}': its options are {string.Join(", ", keys)}");
        _ = ParseOptions(spec, new KubernetesAdapterOptions());
    }

    public static KubernetesTarget Create(ClusterConnection connection, TargetSpec spec)
    {
        Validate(spec);
        return ParseOptions(spec, connection.Options) switch
        {
            IstioTargetOptions istio => new IstioPluginCaTarget(connection, istio),
            LinkerdTargetOptions linkerd => new LinkerdTarget(connection, linkerd),
            CertManagerTargetOptions certManager => new CertManagerCaIssuerTarget(connection, certManager),
            TrustManagerTargetOptions trustManager => new TrustManagerTarget(connection, trustManager),
            _ => throw new DomainException($"unknown target kind '{spec.Kind}'"),
        };
    }

    private static object ParseOptions(TargetSpec spec, KubernetesAdapterOptions adapter) => spec.Kind switch
    {
        IstioPluginCaTarget.KindName => IstioTargetOptions.From(spec),
        LinkerdTarget.KindName => LinkerdTargetOptions.From(spec, adapter.RestartConcurrency),
        CertManagerCaIssuerTarget.KindName => CertManagerTargetOptions.From(spec),
        TrustManagerTarget.KindName => TrustManagerTargetOptions.From(spec),
        _ => throw new DomainException($"unknown target kind '{spec.Kind}': use one of {string.Join(", ", Kinds)}"),
    };
}
