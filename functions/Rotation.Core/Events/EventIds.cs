using System.Security.Cryptography;
using System.Text;

namespace Rotation.Core.Events;

/// <summary>Deterministic event ids: the same facts give the same id, so a re-run appends nothing new.</summary>
public static class EventIds
{
    public static string From(params string[] facts)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\u001f', facts)));
        // A UUID-shaped id (version 8, "custom") keeps Event Grid and CloudEvents consumers happy.
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString();
    }
}
