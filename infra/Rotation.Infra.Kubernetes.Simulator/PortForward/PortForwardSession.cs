using System.Buffers.Binary;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;

namespace Rotation.Infra.Kubernetes.Simulator.PortForward;

/// <summary>
/// One port-forward over a WebSocket, framed as the kubelet frames it (kubernetes/kubernetes 0d1821e3,
/// pkg/kubelet/cri/streaming/portforward/websocket.go handleWebSocketStreams, and
/// staging/src/k8s.io/apiserver/pkg/util/wsstream/conn.go): subprotocol v4.channel.k8s.io (binary) or none; per
/// forwarded port a data channel 2i and an error channel 2i+1; every message starts with its channel byte; the
/// first message on each channel is the port as an unsigned 16-bit little-endian integer. The client writes the
/// bytes for the pod's port on the data channel; what the pod answers comes back on it; a failure to reach the port
/// is text on the error channel. The connection closes when the pod's side closes (here: after one HTTP answer with
/// Connection: close, which is how istioctl's one-shot requests end).
/// </summary>
internal static class PortForwardSession
{
    public const string ChannelProtocol = "v4.channel.k8s.io";
    private const byte DataChannel = 0;
    private const byte ErrorChannel = 1;
    private const int MaxRequestBytes = 64 * 1024;

    public static async Task RunAsync(WebSocket socket, string @namespace, string pod, string uid, int port, PodPorts ports, CancellationToken cancellationToken)
    {
        var portBytes = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(portBytes, (ushort)port);
        await SendAsync(socket, DataChannel, portBytes, cancellationToken);
        await SendAsync(socket, ErrorChannel, portBytes, cancellationToken);

        var request = await ReadHttpRequestAsync(socket, cancellationToken);
        if (request is not null)
        {
            var (method, target) = request.Value;
            var answer = ports.Serve(new PodHttpRequest(@namespace, pod, port, method, target));
            if (answer is null)
            {
                // What containerd reports when nothing listens on localhost:port in the pod's network namespace.
                var error = $"error forwarding port {port} to pod {pod}, uid {uid}: failed to execute portforward in network namespace: failed to connect to localhost:{port} inside namespace: dial tcp4 127.0.0.1:{port}: connect: connection refused";
                await SendAsync(socket, ErrorChannel, Encoding.UTF8.GetBytes(error), cancellationToken);
            }
            else
            {
                var body = Encoding.UTF8.GetBytes(answer.Body);
                var head = $"HTTP/1.1 {answer.StatusCode.ToString(CultureInfo.InvariantCulture)} {Reason(answer.StatusCode)}\r\nContent-Type: {answer.ContentType}\r\nContent-Length: {body.Length.ToString(CultureInfo.InvariantCulture)}\r\nConnection: close\r\n\r\n";
                var bytes = Encoding.ASCII.GetBytes(head).Concat(body).ToArray();
                for (var offset = 0; offset < bytes.Length; offset += 32 * 1024)
                    await SendAsync(socket, DataChannel, bytes.AsMemory(offset, Math.Min(32 * 1024, bytes.Length - offset)), cancellationToken);
            }
        }

        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
    }

    private static async Task<(string Method, string Target)?> ReadHttpRequestAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var received = new List<byte>();
        var buffer = new byte[16 * 1024];
        while (received.Count < MaxRequestBytes)
        {
            var message = new List<byte>();
            WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer, cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                    return null;
                message.AddRange(buffer.AsSpan(0, result.Count).ToArray());
            }
            while (!result.EndOfMessage);

            if (message.Count < 1 || message[0] != DataChannel)
                continue;
            received.AddRange(message.Skip(1));
            var text = Encoding.ASCII.GetString(received.ToArray());
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end < 0)
                continue;
            var requestLine = text[..text.IndexOf("\r\n", StringComparison.Ordinal)].Split(' ');
            return requestLine.Length >= 2 ? (requestLine[0], requestLine[1]) : null;
        }

        return null;
    }

    private static Task SendAsync(WebSocket socket, byte channel, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var frame = new byte[payload.Length + 1];
        frame[0] = channel;
        payload.CopyTo(frame.AsMemory(1));
        return socket.SendAsync(frame, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
    }

    private static string Reason(int code) => code switch
    {
        200 => "OK",
        404 => "Not Found",
        503 => "Service Unavailable",
        _ => "Status",
    };
}
