using System.Globalization;
using System.Net;

namespace Rotation.Cli.Parsing;

/// <summary>HOST:PORT for a listener, e.g. 127.0.0.1:9464, [::1]:9464 or :9464 (all interfaces).</summary>
public sealed record ListenAddress(string Host, int Port)
{
    public static bool TryParse(string text, out ListenAddress? address, out string error)
    {
        address = null;
        var colon = text.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            error = $"'{text}' is not HOST:PORT with a port from 1 to 65535: use e.g. 127.0.0.1:9464";
            return false;
        }

        var host = text[..colon].Trim('[', ']');
        if (host.Length == 0)
        {
            host = "+";
        }
        else if (!IPAddress.TryParse(host, out _) && Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            error = $"'{host}' is not a host name or IP address: use e.g. 127.0.0.1:9464";
            return false;
        }

        address = new ListenAddress(host, port);
        error = string.Empty;
        return true;
    }
}
