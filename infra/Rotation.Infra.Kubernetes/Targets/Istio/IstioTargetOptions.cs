using System.Globalization;
using Rotation.Core.Domain;

namespace Rotation.Infra.Kubernetes.Targets.Istio;

/// <summary>Where Istio's plug-in CA lives and how its proxies are read. Defaults are Istio's.</summary>
/// <param name="IstiodVersion">Overrides the version read from istiod's image tag (needed for digest-pinned images).</param>
/// <param name="MeshConfigMap">The mesh config ConfigMap (key mesh) whose defaultConfig.proxyMetadata reaches every injected proxy.</param>
/// <param name="ProxySample">How many meshed pods' Envoy trust is read per report (see docs/targets.md for the sampling rule).</param>
/// <param name="WorkloadCertTtl">The longest workload certificate lifetime in the mesh (Istio's DEFAULT_WORKLOAD_CERT_TTL is 24h): the time rule's wait.</param>
/// <param name="TrustGrace">Added to the time rule for clock skew and the agent's refresh jitter.</param>
public sealed record IstioTargetOptions(
    string Namespace,
    string Secret,
    string IstiodDeployment,
    string RootConfigMap,
    string? IstiodVersion = null,
    string MeshConfigMap = "istio",
    int ProxySample = 50,
    TimeSpan? WorkloadCertTtl = null,
    TimeSpan? TrustGrace = null)
{
    public static readonly IReadOnlyList<string> Keys =
        ["namespace", "secret", "istiodDeployment", "rootConfigMap", "istiodVersion", "meshConfigMap", "proxySample", "workloadCertTtl", "trustGrace"];

    public TimeSpan CertTtl => WorkloadCertTtl ?? TimeSpan.FromHours(24);

    public TimeSpan Grace => TrustGrace ?? TimeSpan.FromMinutes(10);

    public static IstioTargetOptions From(TargetSpec spec)
    {
        var options = new TargetOptionReader(spec);
        var version = options.Get("istiodVersion", "");
        if (version.Length > 0 && Core.Authorities.Istio.IstiodVersion.Parse(version) is null)
            throw new DomainException($"target 'istio' option 'istiodVersion' must look like 1.26.2, not '{version}'");
        return new IstioTargetOptions(
            options.Get("namespace", "istio-system"),
            options.Get("secret", "cacerts"),
            options.Get("istiodDeployment", "istiod"),
            options.Get("rootConfigMap", "istio-ca-root-cert"),
            version.Length > 0 ? version : null,
            options.Get("meshConfigMap", "istio"),
            options.PositiveInt("proxySample", 50),
            Duration(options, "workloadCertTtl"),
            Duration(options, "trustGrace"));
    }

    /// <summary>Go-style durations as Istio writes them: 24h, 90m, 45s (whole numbers, one unit).</summary>
    internal static TimeSpan? Duration(TargetOptionReader options, string key)
    {
        var text = options.Get(key, "");
        if (text.Length == 0)
            return null;
        var unit = text[^1];
        if (text.Length > 1 && int.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            switch (unit)
            {
                case 'h': return TimeSpan.FromHours(n);
                case 'm': return TimeSpan.FromMinutes(n);
                case 's': return TimeSpan.FromSeconds(n);
            }
        }

        throw new DomainException($"target '{options.Kind}' option '{key}' must be a duration like 24h, 90m or 45s, not '{text}'");
    }
}
