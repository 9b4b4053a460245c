using System.Globalization;
using Rotation.Core.Domain;

namespace Rotation.Infra.Files.Endpoints;

/// <summary>
/// A TLS endpoint Rotation probes: <c>host:port</c> (TLS only: the server's verdict on the client certificate is
/// its handshake) or <c>https://host:port/path</c> (the verdict is the HTTP answer, for servers such as nginx that
/// complete the handshake with an untrusted client certificate and then answer 400).
/// </summary>
public sealed record EndpointAddress(string Host, int Port, string? HttpPath)
{
    public static EndpointAddress Parse(string text)
    {
        var value = text.Trim();
        string? path = null;
        if (value.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            value = value["https://".Length..];
            var slash = value.IndexOf('/', StringComparison.Ordinal);
            path = slash < 0 ? "/" : value[slash..];
            value = slash < 0 ? value : value[..slash];
        }
        else if (value.Contains("://", StringComparison.Ordinal))
        {
            throw new DomainException($"endpoint '{text}': only host:port (TLS) and https://host:port/path are supported");
        }

        var colon = value.LastIndexOf(':');
        if (colon <= 0)
            throw new DomainException($"endpoint '{text}' has no port: use host:port, e.g. 127.0.0.1:8443");
        var host = value[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
            host = host[1..^1];
        if (!int.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new DomainException($"endpoint '{text}': port '{value[(colon + 1)..]}' is not a number from 1 to 65535");
        if (host.Length == 0 || host.Any(char.IsWhiteSpace))
            throw new DomainException($"endpoint '{text}': '{host}' is not a host name or address");
        return new EndpointAddress(host, port, path);
    }

    public override string ToString()
    {
        var hostPort = Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
        return HttpPath is null ? hostPort : $"https://{hostPort}{HttpPath}";
    }
}
