namespace Rotation.Infra.Kubernetes.Simulator.Controllers;

/// <summary>The names istiod uses for its plug-in CA and the root it publishes.</summary>
public static class IstioNames
{
    public const string Namespace = "istio-system";
    public const string CaSecret = "cacerts";
    public const string CaCertKey = "ca-cert.pem";
    public const string CaKeyKey = "ca-key.pem";
    public const string RootCertKey = "root-cert.pem";
    public const string CertChainKey = "cert-chain.pem";
    public const string RootConfigMap = "istio-ca-root-cert";
    public const string ConfigLabel = "istio.io/config";
    public const string IstiodDeployment = "istiod";
    public const string IstiodContainer = "discovery";
    public const string MultiRootEnv = "ISTIO_MULTIROOT_MESH";
    public const string MeshConfigMap = "istio";
    public const string MeshConfigKey = "mesh";
    public const string PcdsEnv = "PROXY_CONFIG_XDS_AGENT";
    public const string ProxyContainer = "istio-proxy";
    public const string TlsModeLabel = "security.istio.io/tlsMode";
}
