using Rotation.Core.Domain;
using Rotation.Infra.Files;
using Rotation.Infra.Kubernetes.Targets;

namespace Rotation.Infra.Kubernetes.Clusters;

/// <summary>
/// The host-directory side of "one object belongs to one domain": a files target's directory is claimed by the
/// registration that writes it. Within a home the store shows every registration; across homes only the directory
/// can, so <c>cluster add</c> leaves a <see cref="DirectoryClaim"/> there and refuses a directory another domain or home
/// has claimed. A directory that does not exist yet is refused too (bad input, exit 1): it could hold no claim, so a
/// second domain could later register it unseen; the operator creates it, with the owner the consumer needs, first.
/// </summary>
public sealed partial class ClusterRegistry
{
    /// <summary>What names this home in the claims it writes (the CLI uses the home folder's absolute path).</summary>
    public string HomeId { get; init; } = "unnamed-home";

    private static IEnumerable<string> DirectoriesOf(IEnumerable<TargetSpec> targets) =>
        targets.Where(t => TargetCatalog.IsHostKind(t.Kind)).Select(t => FilesTargetOptions.From(t.Options).Directory);

    /// <summary>
    /// Refuses a directory that does not exist (exit 1, bad input: nothing is at risk yet, the operator has to create
    /// it) and (exit 3) one another registration of this home, or a claim file of another domain or home, holds.
    /// Returns the directories to claim.
    /// </summary>
    private async Task<IReadOnlyList<string>> EnsureDirectoriesUnclaimedAsync(ClusterAddRequest request, CancellationToken cancellationToken)
    {
        var wanted = DirectoriesOf(request.Targets).ToList();
        if (wanted.Count == 0)
            return [];
        var missing = wanted.FirstOrDefault(d => !Directory.Exists(d));
        if (missing is not null && File.Exists(missing))
            throw new DomainException($"{missing} is a file, not a directory: pass the directory the consumer reads its trust bundle from");
        if (missing is not null)
            throw new DomainException($"directory {missing} does not exist: create it first (mkdir -p {missing}, owned by the user the consumer reads its files as), then add the cluster again; Rotation claims a directory only when it can leave its {DirectoryClaim.FileName} there");
        foreach (var other in await _store.ListClustersAsync(null, cancellationToken))
        {
            var shared = DirectoriesOf(other.Targets).FirstOrDefault(d => wanted.Contains(d, StringComparer.Ordinal));
            if (shared is not null)
                throw new UnsafeStepException($"directory {shared} is already claimed by cluster '{other.Name}' of trust domain '{other.Domain}': one directory belongs to one domain; rotate it from '{other.Domain}', or remove that registration first ('rotation cluster remove {other.Name}')");
        }

        var toClaim = new List<string>();
        foreach (var directory in wanted)
        {
            var claim = await DirectoryClaim.ReadAsync(directory, cancellationToken);
            if (claim is not null && !claim.IsHeldBy(request.Domain, HomeId))
                throw new UnsafeStepException($"directory {directory} is already claimed by cluster '{claim.Cluster}' of trust domain '{claim.Domain}' in home {claim.Home} ({DirectoryClaim.PathIn(directory)}): one directory belongs to one domain; rotate it from there, or remove that registration ('rotation cluster remove {claim.Cluster}' in that home), then add it here");
            toClaim.Add(directory);
        }

        return toClaim;
    }

    /// <summary>Writes the claims; undone (best effort) by the caller when the registration then fails to commit.</summary>
    private async Task ClaimAsync(IReadOnlyList<string> directories, ClusterAddRequest request, CancellationToken cancellationToken)
    {
        foreach (var directory in directories)
            await new DirectoryClaim(request.Domain, HomeId, request.Name).WriteAsync(directory, cancellationToken);
    }

    /// <summary>A removed registration gives its directories back: its own claim files are deleted, anyone else's are left.</summary>
    private async Task ReleaseAsync(IEnumerable<TargetSpec> targets, string domain, CancellationToken cancellationToken)
    {
        foreach (var directory in DirectoriesOf(targets).Where(Directory.Exists))
        {
            try
            {
                if (await DirectoryClaim.ReadAsync(directory, cancellationToken) is { } claim && claim.IsHeldBy(domain, HomeId))
                    File.Delete(DirectoryClaim.PathIn(directory));
            }
            catch (Exception ex) when (ex is DomainException or IOException or UnauthorizedAccessException)
            {
                // Not ours, or not readable: leave it; the next add names what it found.
            }
        }
    }
}
