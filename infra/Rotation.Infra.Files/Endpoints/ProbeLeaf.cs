using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Rotation.Core.Pki;

namespace Rotation.Infra.Files.Endpoints;

/// <summary>
/// A throwaway client leaf for one probe round: a fresh key that exists only in memory, a certificate valid for a few
/// minutes from the probe issuer, sent with that intermediate so the endpoint can build the chain to its root.
/// </summary>
public static class ProbeLeaf
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    // A peer whose clock is a little behind still sees the probe leaf as valid.
    private static readonly TimeSpan Backdate = TimeSpan.FromMinutes(1);

    public static SslStreamCertificateContext Create(ProbeIssuer issuer, string domain, DateTimeOffset now)
    {
        var key = PrivateKey.Generate(KeyAlgorithm.EcdsaP256);
        var ca = issuer.Signer.Certificate;
        var notBefore = now - Backdate < ca.NotBefore ? ca.NotBefore : now - Backdate;
        var notAfter = now + Lifetime > ca.NotAfter ? ca.NotAfter : now + Lifetime;
        var leaf = CertificateFactory.IssueLeaf(
            new LeafRequest("CN=rotation-probe", notBefore, notAfter, ["rotation-probe"], [$"spiffe://{domain}/rotation/probe"]),
            key,
            issuer.Signer);
        var identity = X509Certificate2.CreateFromPem(leaf.ToPem(), key.ToPkcs8Pem());
        return SslStreamCertificateContext.Create(identity, [ca.ToX509Certificate2()], offline: true);
    }
}
