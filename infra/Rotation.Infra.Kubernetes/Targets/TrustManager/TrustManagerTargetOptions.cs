using Rotation.Core.Domain;

namespace Rotation.Infra.Kubernetes.Targets.TrustManager;

/// <summary>
/// A trust-manager Bundle and the source it reads that Rotation owns: a ConfigMap or Secret in the trust namespace
/// (trust-manager's --trust-namespace, "cert-manager" by default) with the roots under <see cref="SourceKey"/>.
/// </summary>
public sealed record TrustManagerTargetOptions(string Bundle, string TrustNamespace, string SourceKind, string SourceName, string SourceKey)
{
    public static readonly IReadOnlyList<string> Keys = ["bundle", "trustNamespace", "sourceKind", "sourceName", "sourceKey"];

    public static TrustManagerTargetOptions From(TargetSpec spec)
    {
        var options = new TargetOptionReader(spec);
        return new TrustManagerTargetOptions(
            options.Required("bundle"),
            options.Get("trustNamespace", "cert-manager"),
            options.OneOf("sourceKind", "ConfigMap", "ConfigMap", "Secret"),
            options.Required("sourceName"),
            options.Get("sourceKey", "ca.crt"));
    }
}
