using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Rotation.Core.Pki;

namespace Rotation.Drill.Workloads;

/// <summary>
/// A workload's identity: its leaf with key and the intermediates it sends, prepared once for SslStream so
/// handshakes do not rebuild it.
/// </summary>
public sealed class WorkloadCredential
{
    public WorkloadCredential(CertificateWithKey leaf, IReadOnlyList<Certificate> intermediates)
    {
        Leaf = leaf;
        Intermediates = intermediates;
        var intermediateCollection = new X509Certificate2Collection();
        foreach (var intermediate in intermediates)
            intermediateCollection.Add(intermediate.ToX509Certificate2());
        // offline: the drill never fetches anything from the network to complete a chain.
        Context = SslStreamCertificateContext.Create(ToSslIdentity(leaf), intermediateCollection, offline: true);
    }

    /// <summary>
    /// On Linux SslStream (OpenSSL) presents an ephemeral key as it is: ~0.5 ms per leaf, against 10–35 ms for the
    /// PKCS#12 round trip Core's helper does for other platforms. With 200 workloads re-issuing every few seconds
    /// that round trip alone would eat both cores and let leaves expire, so the drill only uses it off Linux.
    /// </summary>
    private static X509Certificate2 ToSslIdentity(CertificateWithKey leaf) =>
        OperatingSystem.IsLinux()
            ? X509Certificate2.CreateFromPem(leaf.Certificate.ToPem(), leaf.Key.ToPkcs8Pem())
            : leaf.ToX509Certificate2WithKey();

    public CertificateWithKey Leaf { get; }
    public Certificate Certificate => Leaf.Certificate;
    public IReadOnlyList<Certificate> Intermediates { get; }
    public SslStreamCertificateContext Context { get; }
}
