using System.Text.Json;
using Rotation.Core.Domain;

namespace Rotation.Infra.Files;

/// <summary>
/// Who writes a host directory: `rotation cluster add NAME --dir DIR` leaves <see cref="FileName"/> (0644, JSON: domain,
/// home, cluster) in DIR, and a registration from another trust domain or another home is refused, naming it. Two homes
/// share no store, so the claim has to live with the directory: without it two domains would each write their own
/// roots into one ca-bundle.pem, the outage the drift gate exists to prevent. A claim of the same domain from the same
/// home (a cluster removed and added again) is this home's own.
/// </summary>
public sealed record DirectoryClaim(string Domain, string Home, string Cluster)
{
    public const string FileName = ".rotation-claim";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string PathIn(string directory) => System.IO.Path.Combine(directory, FileName);

    /// <summary>The claim in <paramref name="directory"/>; null when there is none. An unreadable claim file is refused: it may be someone's.</summary>
    public static async Task<DirectoryClaim?> ReadAsync(string directory, CancellationToken cancellationToken)
    {
        var path = PathIn(directory);
        var text = await AtomicFile.ReadAsync(path, cancellationToken);
        if (text is null)
            return null;
        try
        {
            return JsonSerializer.Deserialize<DirectoryClaim>(text, Json) is { Domain: not null, Home: not null } claim
                ? claim
                : throw new JsonException("domain or home missing");
        }
        catch (JsonException ex)
        {
            throw new UnsafeStepException($"{path} is not a claim Rotation can read ({ex.Message}): another tool or home may own {directory}; if nothing does, delete the file and add the cluster again");
        }
    }

    public bool IsHeldBy(string domain, string home) => Domain == domain && Home == home;

    public Task WriteAsync(string directory, CancellationToken cancellationToken) =>
        AtomicFile.WriteAsync(PathIn(directory), JsonSerializer.Serialize(this, Json) + "\n", AtomicFile.Public, cancellationToken);
}
