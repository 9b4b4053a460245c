using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace Rotation.Drill.Workloads;

/// <summary>Maps what TLS stacks say about a refused certificate onto <see cref="HandshakeFailureReason"/>.</summary>
public static partial class HandshakeFailureClassifier
{
    public static PeerRejection FromChain(X509Chain? chain)
    {
        var flags = X509ChainStatusFlags.NoError;
        var details = new List<string>();
        foreach (var status in chain?.ChainStatus ?? [])
        {
            flags |= status.Status;
            details.Add(status.Status.ToString());
        }

        foreach (var element in chain?.ChainElements.ToArray() ?? [])
        {
            if (element.ChainElementStatus.Any(s => s.Status == X509ChainStatusFlags.NotTimeValid))
                details.Add($"'{element.Certificate.Subject}' valid {element.Certificate.NotBefore.ToUniversalTime():HH:mm:ss}..{element.Certificate.NotAfter.ToUniversalTime():HH:mm:ss}Z, checked at {DateTime.UtcNow:HH:mm:ss.fff}Z");
        }

        var detail = details.Count == 0 ? "chain errors" : string.Join(", ", details.Distinct());
        // An unknown root wins over everything else: it is the failure a bad rotation order produces.
        if ((flags & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0)
            return new PeerRejection(HandshakeFailureReason.UnknownAuthority, detail);
        if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
            return new PeerRejection(HandshakeFailureReason.Expired, detail);
        if ((flags & X509ChainStatusFlags.NotValidForUsage) != 0)
            return new PeerRejection(HandshakeFailureReason.ExtendedKeyUsage, detail);
        return new PeerRejection(HandshakeFailureReason.Other, detail);
    }

    /// <summary>Reads OpenSSL's "verify error:num=N:..." lines; null when OpenSSL reported no verification error.</summary>
    public static PeerRejection? FromOpenSslOutput(string output)
    {
        var match = OpenSslVerifyError().Match(output);
        if (!match.Success)
            return null;

        var code = int.Parse(match.Groups["num"].Value);
        var detail = $"openssl verify error {code}: {match.Groups["text"].Value.Trim()}";
        var reason = code switch
        {
            // unable to get issuer certificate (locally), self-signed in chain, depth-zero self-signed, untrusted.
            2 or 18 or 19 or 20 or 21 or 27 => HandshakeFailureReason.UnknownAuthority,
            9 or 10 => HandshakeFailureReason.Expired,
            26 => HandshakeFailureReason.ExtendedKeyUsage,
            _ => HandshakeFailureReason.Other,
        };
        return new PeerRejection(reason, detail);
    }

    [GeneratedRegex(@"verify error:num=(?<num>\d+):(?<text>[^\r\n]*)")]
    private static partial Regex OpenSslVerifyError();
}
