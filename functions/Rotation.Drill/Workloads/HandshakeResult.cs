namespace Rotation.Drill.Workloads;

/// <summary>One handshake plus its request/response, from client to server. Reason is set when it failed.</summary>
public sealed record HandshakeResult(string Client, string Server, bool Succeeded, HandshakeFailureReason? Reason, string Detail, bool ViaOpenSsl = false)
{
    public static HandshakeResult Success(string client, string server, bool viaOpenSsl = false) =>
        new(client, server, true, null, "ok", viaOpenSsl);

    public static HandshakeResult Failure(string client, string server, HandshakeFailureReason reason, string detail, bool viaOpenSsl = false) =>
        new(client, server, false, reason, detail, viaOpenSsl);
}
