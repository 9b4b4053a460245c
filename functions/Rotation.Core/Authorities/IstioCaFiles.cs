namespace Rotation.Core.Authorities;

/// <summary>
/// The files of Istio's plug-in CA secret ("cacerts"): the issuing intermediate and its key, the trust bundle,
/// and the chain from the intermediate up to its root.
/// </summary>
public sealed record IstioCaFiles(string CaCert, string CaKey, string RootCert, string CertChain)
{
    public const string CaCertName = "ca-cert.pem";
    public const string CaKeyName = "ca-key.pem";
    public const string RootCertName = "root-cert.pem";
    public const string CertChainName = "cert-chain.pem";

    public static IstioCaFiles In(string directory) => new(
        Path.Combine(Path.GetFullPath(directory), CaCertName),
        Path.Combine(Path.GetFullPath(directory), CaKeyName),
        Path.Combine(Path.GetFullPath(directory), RootCertName),
        Path.Combine(Path.GetFullPath(directory), CertChainName));
}
