namespace Rotation.Infra.Kubernetes.Simulator.Controllers;

/// <summary>The names Linkerd's control plane and proxy injector use for trust.</summary>
public static class LinkerdNames
{
    public const string Namespace = "linkerd";
    public const string TrustRootsConfigMap = "linkerd-identity-trust-roots";
    public const string TrustRootsKey = "ca-bundle.crt";
    public const string IssuerSecret = "linkerd-identity-issuer";
    public const string ProxyContainer = "linkerd-proxy";
    public const string TrustAnchorsEnv = "LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS";
    public const string InjectAnnotation = "linkerd.io/inject";
    public const string ControlPlaneNamespaceLabel = "linkerd.io/control-plane-ns";
    public const string WorkloadNamespaceLabel = "linkerd.io/workload-ns";
    public const string ProxyVersionAnnotation = "linkerd.io/proxy-version";
    public const string IdentityModeAnnotation = "linkerd.io/identity-mode";
}
