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
        Context = SslStreamCertificateContext.Create(leaf.ToX509Certificate2WithKey(), intermediateCollection, offline: true);
    }

    public CertificateWithKey Leaf { get; }
    public Certificate Certificate => Leaf.Certificate;
    public IReadOnlyList<Certificate> Intermediates { get; }
    public SslStreamCertificateContext Context { get; }
}
