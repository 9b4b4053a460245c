using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Rotation.Core.Pki;

namespace Rotation.Drill.Workloads;

/// <summary>
/// How a workload judges its peer: the chain must end at a root of ITS OWN bundle (never the system store), the
/// leaf must carry the EKU of the peer's role, and the peer's SPIFFE URI SAN must be one it expects.
/// </summary>
public static class PeerValidator
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    /// <summary>A fresh policy per connection: SslStream adds the peer's intermediates to ExtraStore, which must not leak between connections.</summary>
    public static X509ChainPolicy CreatePolicy(WorkloadTrustStore trust, TlsPurpose peerRole)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.AddRange(trust.Anchors);
        policy.ApplicationPolicy.Add(peerRole == TlsPurpose.Client ? ClientAuth : ServerAuth);
        return policy;
    }

    /// <summary>Null when the peer is acceptable; otherwise why not.</summary>
    public static PeerRejection? Check(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors, Func<IReadOnlyList<string>, bool> identityAccepted)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            return new PeerRejection(HandshakeFailureReason.Other, "the peer sent no certificate");

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
            return HandshakeFailureClassifier.FromChain(chain);

        // The host name check is replaced by the SPIFFE identity check below, as in a mesh.
        IReadOnlyList<string> uris;
        try
        {
            uris = Certificate.FromDer(certificate.GetRawCertData()).UriNames;
        }
        catch (PkiException e)
        {
            return new PeerRejection(HandshakeFailureReason.Other, $"the peer certificate cannot be read: {e.Message}");
        }

        return identityAccepted(uris)
            ? null
            : new PeerRejection(HandshakeFailureReason.SanMismatch, $"unexpected peer identity [{string.Join(", ", uris)}]");
    }
}
