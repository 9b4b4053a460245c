using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using k8s;

namespace Rotation.Infra.Kubernetes.Http;

/// <summary>The answer of an HTTP server inside a pod, read through a port-forward.</summary>
public sealed record PodPortAnswer(int StatusCode, string Body);

/// <summary>Why a port-forward did not yield an answer: forbidden or refused by the API server, or nothing listening.</summary>
public sealed class PodPortForwardException(string message, int? statusCode = null, Exception? inner = null) : Exception(message, inner)
{
    public int? StatusCode { get; } = statusCode;
}

/// <summary>
/// One HTTP/1.1 GET to a port that listens on the pod's localhost, the way istioctl reaches Envoy's admin port
/// (istio/istio 86c9f01, pkg/kube/client.go portForwardRequest → pkg/kube/portforwarder.go, a port-forward to
/// 127.0.0.1:15000 inside the pod; Envoy's admin binds {{ .localhost }} in tools/packaging/common/envoy_bootstrap.json,
/// so the pods/proxy subresource, which dials the pod IP, cannot reach it). Transport: the pods/portforward
/// subresource over a WebSocket with subprotocol v4.channel.k8s.io, framed as the kubelet frames it
/// (kubernetes/kubernetes 0d1821e3, pkg/kubelet/cri/streaming/portforward/websocket.go): channel 0 carries data,
/// channel 1 errors, each message starts with its channel byte, and each channel's stream starts with the port as a
/// little-endian uint16. Needs RBAC get and create on pods/portforward (create since Kubernetes 1.35 for WebSocket
/// upgrades, kubernetes/kubernetes#134577).
/// </summary>
public static class PodPortForward
{
    public const string Protocol = "v4.channel.k8s.io";
    private const int MaxAnswerBytes = 32 * 1024 * 1024;

    public static async Task<PodPortAnswer> GetAsync(IKubernetes client, string @namespace, string pod, int port, string pathAndQuery, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        WebSocket socket;
        try
        {
            socket = await client.WebSocketNamespacedPodPortForwardAsync(pod, @namespace, [port], Protocol, cancellationToken: deadline.Token);
        }
        catch (k8s.Autorest.HttpOperationException e)
        {
            throw new PodPortForwardException($"port-forward refused: {(int)e.Response.StatusCode} {FirstLine(e.Response.Content)}", (int)e.Response.StatusCode, e);
        }
        catch (WebSocketException e)
        {
            throw new PodPortForwardException($"port-forward refused: {e.Message}", null, e);
        }

        using (socket)
        {
            try
            {
                return await ExchangeAsync(socket, pod, port, pathAndQuery, deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new PodPortForwardException($"no answer from {pod}:{port} within {timeout.TotalSeconds:0.#}s");
            }
            catch (WebSocketException e)
            {
                throw new PodPortForwardException($"port-forward to {pod}:{port} broke: {e.Message}", null, e);
            }
        }
    }

    private static async Task<PodPortAnswer> ExchangeAsync(WebSocket socket, string pod, int port, string pathAndQuery, CancellationToken cancellationToken)
    {
        var request = Encoding.ASCII.GetBytes($"GET {pathAndQuery} HTTP/1.1\r\nHost: 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}\r\nUser-Agent: rotation\r\nAccept: */*\r\nConnection: close\r\n\r\n");
        var frame = new byte[request.Length + 1];
        request.CopyTo(frame, 1);
        await socket.SendAsync(frame, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);

        var data = new List<byte>();
        var errors = new List<byte>();
        var portPrefix = new Dictionary<byte, int> { [0] = 2, [1] = 2 };
        var buffer = new byte[64 * 1024];
        while (socket.State == WebSocketState.Open)
        {
            var message = new List<byte>();
            WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer, cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                    break;
                message.AddRange(buffer.AsSpan(0, result.Count).ToArray());
            }
            while (!result.EndOfMessage);
            if (result.MessageType == WebSocketMessageType.Close || message.Count == 0)
                break;

            var channel = message[0];
            var payload = message.Skip(1).ToList();
            // Each channel's stream opens with the port number (2 bytes), possibly split across messages.
            if (portPrefix.TryGetValue(channel, out var skip) && skip > 0)
            {
                var taken = Math.Min(skip, payload.Count);
                payload.RemoveRange(0, taken);
                portPrefix[channel] = skip - taken;
            }

            (channel == 0 ? data : errors).AddRange(payload);
            if (data.Count > MaxAnswerBytes)
                throw new PodPortForwardException($"the answer of {pod}:{port} exceeds {MaxAnswerBytes} bytes");
            if (errors.Count > 0 && data.Count == 0)
                throw new PodPortForwardException(FirstLine(Encoding.UTF8.GetString(errors.ToArray())));
            if (Complete(data) is { } done)
                return done;
        }

        if (errors.Count > 0)
            throw new PodPortForwardException(FirstLine(Encoding.UTF8.GetString(errors.ToArray())));
        return Complete(data, closed: true) ?? throw new PodPortForwardException($"{pod}:{port} closed the connection without a complete HTTP answer");
    }

    /// <summary>The HTTP answer once it is complete: Content-Length, chunked, or (when the connection closed) everything.</summary>
    private static PodPortAnswer? Complete(List<byte> data, bool closed = false)
    {
        var bytes = data.ToArray();
        var headEnd = IndexOf(bytes, "\r\n\r\n"u8);
        if (headEnd < 0)
            return null;
        var head = Encoding.ASCII.GetString(bytes, 0, headEnd).Split("\r\n");
        var status = head[0].Split(' ');
        if (status.Length < 2 || !int.TryParse(status[1], NumberStyles.None, CultureInfo.InvariantCulture, out var code))
            throw new PodPortForwardException($"not an HTTP answer: {FirstLine(head[0])}");
        string? Header(string name) => head.Skip(1).Select(h => h.Split(':', 2)).FirstOrDefault(h => h.Length == 2 && h[0].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))?[1].Trim();
        var body = bytes.AsSpan(headEnd + 4);
        if (Header("Content-Length") is { } lengthText && int.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out var length))
            return body.Length >= length ? new PodPortAnswer(code, Encoding.UTF8.GetString(body[..length])) : null;
        if (Header("Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true)
            return Dechunk(body) is { } text ? new PodPortAnswer(code, text) : null;
        return closed ? new PodPortAnswer(code, Encoding.UTF8.GetString(body)) : null;
    }

    private static string? Dechunk(ReadOnlySpan<byte> body)
    {
        var output = new List<byte>();
        var at = 0;
        while (true)
        {
            var lineEnd = IndexOf(body[at..], "\r\n"u8);
            if (lineEnd < 0)
                return null;
            var sizeText = Encoding.ASCII.GetString(body.Slice(at, lineEnd)).Split(';')[0].Trim();
            if (!int.TryParse(sizeText, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var size))
                throw new PodPortForwardException($"bad chunk size '{sizeText}'");
            at += lineEnd + 2;
            if (size == 0)
                return Encoding.UTF8.GetString(output.ToArray());
            if (body.Length < at + size + 2)
                return null;
            output.AddRange(body.Slice(at, size).ToArray());
            at += size + 2;
        }
    }

    private static int IndexOf(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle) => haystack.IndexOf(needle);

    private static string FirstLine(string? text) => (text ?? "").Split('\n', 2)[0].Trim();
}
