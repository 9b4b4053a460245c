using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Rotation.Core.Pki;

namespace Rotation.Testing;

/// <summary>
/// A server certificate for "localhost" from Rotation's own PKI (root → intermediate → leaf), and an HTTP handler that
/// trusts exactly that root: the machine's trust store plays no part, and nothing else trusts the test CA.
/// </summary>
public sealed class LoopbackTls
{
    public LoopbackTls()
    {
        var hierarchy = TestPki.Hierarchy(DateTimeOffset.UtcNow);
        Root = hierarchy.Root.Certificate.ToX509Certificate2();
        Intermediate = hierarchy.Intermediate.Certificate.ToX509Certificate2();
        ServerCertificate = hierarchy.Leaf("localhost").ToX509Certificate2WithKey();
    }

    public X509Certificate2 Root { get; }
    public X509Certificate2 Intermediate { get; }
    public X509Certificate2 ServerCertificate { get; }

    public HttpClientHandler TrustingHandler() => new()
    {
        ServerCertificateCustomValidationCallback = (_, certificate, _, errors) =>
        {
            if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            {
                return false;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(Root);
            chain.ChainPolicy.ExtraStore.Add(Intermediate);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(certificate);
        },
    };
}
