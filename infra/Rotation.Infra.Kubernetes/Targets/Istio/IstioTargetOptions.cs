using Rotation.Core.Domain;

namespace Rotation.Infra.Kubernetes.Targets.Istio;

/// <summary>Where Istio's plug-in CA lives. Defaults are Istio's.</summary>
public sealed record IstioTargetOptions(string Namespace, string Secret, string IstiodDeployment, string RootConfigMap)
{
    public static readonly IReadOnlyList<string> Keys = ["namespace", "secret", "istiodDeployment", "rootConfigMap"];

    public static IstioTargetOptions From(TargetSpec spec)
    {
        var options = new TargetOptionReader(spec);
        return new IstioTargetOptions(
            options.Get("namespace", "istio-system"),
            options.Get("secret", "cacerts"),
            options.Get("istiodDeployment", "istiod"),
            options.Get("rootConfigMap", "istio-ca-root-cert"));
    }
}
