using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Rotation.Drill.Workloads;

/// <summary>
/// Why a server refused recent clients, so the client side can report the real reason (in TLS 1.3 a client only
/// sees an alert, or nothing, when the server refuses its certificate). Looked up by the client's port, or by
/// the leaf it presented for clients whose port is unknown (openssl s_client).
/// </summary>
internal sealed class RejectionLog
{
    // Rejections are claimed right after the client sees the failure; the bound keeps unclaimed ones from piling up.
    private const int MaxRemembered = 4096;

    private readonly ConcurrentDictionary<int, PeerRejection> _byClientPort = new();
    private readonly ConcurrentDictionary<string, PeerRejection> _byClientLeaf = new(StringComparer.Ordinal);

    public void Remember(int clientPort, X509Certificate? certificate, PeerRejection rejection)
    {
        if (_byClientPort.Count > MaxRemembered)
            _byClientPort.Clear();
        if (_byClientLeaf.Count > MaxRemembered)
            _byClientLeaf.Clear();
        _byClientPort[clientPort] = rejection;
        if (certificate is not null)
            _byClientLeaf[Convert.ToHexStringLower(SHA256.HashData(certificate.GetRawCertData()))] = rejection;
    }

    public PeerRejection? Take(int clientPort) => _byClientPort.TryRemove(clientPort, out var rejection) ? rejection : null;

    public PeerRejection? LastOfLeaf(string leafSha256) => _byClientLeaf.TryGetValue(leafSha256, out var rejection) ? rejection : null;
}
