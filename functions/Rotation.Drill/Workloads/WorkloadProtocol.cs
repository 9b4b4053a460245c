using System.Text;

namespace Rotation.Drill.Workloads;

/// <summary>
/// The tiny request/response after each handshake. It is HTTP/1.0-shaped so that `openssl s_server -www` can
/// be a server for it. In TLS 1.3 a server refuses a client certificate after the client has finished its
/// handshake, so only the response proves both sides accepted each other.
/// </summary>
public static class WorkloadProtocol
{
    public const string Request = "GET / HTTP/1.0\r\n\r\n";
    public const string ResponseStatus = "HTTP/1.0 200 ok";
    public const int MaxMessageBytes = 64 * 1024;

    public static byte[] RequestBytes { get; } = Encoding.ASCII.GetBytes(Request);

    public static byte[] ResponseFor(string serverId) => Encoding.ASCII.GetBytes($"{ResponseStatus}\r\n\r\n{serverId}\n");

    public static bool IsSuccessResponse(string response) => response.StartsWith(ResponseStatus, StringComparison.Ordinal);
}
