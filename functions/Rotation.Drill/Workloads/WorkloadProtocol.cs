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

    public static async Task ReadRequestAsync(Stream stream, CancellationToken cancellationToken)
    {
        var received = new StringBuilder();
        var buffer = new byte[1024];
        while (received.Length < MaxMessageBytes)
        {
            var read = await stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
                return;
            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
            // Reading the whole request before answering avoids a reset that would destroy the response.
            if (received.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                return;
        }
    }

    public static async Task<string> ReadResponseAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var received = new MemoryStream();
        var buffer = new byte[4096];
        while (received.Length < MaxMessageBytes)
        {
            var read = await stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
                break;
            received.Write(buffer, 0, read);
        }

        return Encoding.ASCII.GetString(received.ToArray());
    }
}
