using Microsoft.AspNetCore.Http;

namespace Rotation.Functions.Http;

/// <summary>
/// Links to a rotation's own API routes. They carry no query string: unlike the Durable extension's
/// CreateCheckStatusResponse (whose URLs embed the durable system key), following them needs the caller's own
/// function key or Entra token, so a status link pasted into a ticket leaks nothing.
/// </summary>
public sealed record StatusLinks(string Status, string Approve, string Abort)
{
    public static StatusLinks For(HttpRequest request, string rotationId)
    {
        ArgumentNullException.ThrowIfNull(request);
        var root = $"{request.Scheme}://{request.Host}{request.PathBase}/api/rotations/{Uri.EscapeDataString(rotationId)}";
        return new StatusLinks(root, $"{root}/approve", $"{root}/abort");
    }
}
