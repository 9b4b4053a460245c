using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Drill.Workloads;

namespace Rotation.Drill.Estate;

/// <summary>Mints a workload's leaf from an issuer, the way a mesh's CA answers a workload's CSR.</summary>
internal sealed class LeafMinter(SimulatedClusterOptions options, TimeProvider timeProvider)
{
    /// <summary>A second each side of the TTL absorbs whole-second certificate times (and a peer's clock a little off).</summary>
    public static readonly TimeSpan SkewMargin = TimeSpan.FromSeconds(1);

    public WorkloadCredential Mint(SimulatedWorkload workload, IssuerMaterial issuer) => Mint(workload.DnsName, workload.SpiffeId, issuer);

    public WorkloadCredential Mint(string dnsName, string spiffeId, IssuerMaterial issuer)
    {
        var now = timeProvider.GetUtcNow();
        var key = PrivateKey.Generate(options.LeafKeyAlgorithm);
        // Certificate times are whole seconds: a second either side keeps the leaf valid for the full TTL.
        // A leaf never outlives or predates its issuer (a freshly minted intermediate starts "now").
        var issuerCertificate = issuer.Issuer.Certificate;
        var notBefore = Later(now - SkewMargin, issuerCertificate.NotBefore);
        var notAfter = Earlier(now + options.LeafTtl + SkewMargin, issuerCertificate.NotAfter);
        var request = new LeafRequest($"CN={dnsName}", notBefore, notAfter, [dnsName], [spiffeId]);
        var leaf = CertificateFactory.IssueLeaf(request, key, issuer.Issuer);
        var intermediates = issuer.ChainToRoot.Where(c => !c.IsSelfSigned).ToList();
        if (intermediates.Count == 0)
            intermediates.Add(issuerCertificate);
        return new WorkloadCredential(new CertificateWithKey(leaf, key), intermediates);
    }

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
    private static DateTimeOffset Earlier(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
