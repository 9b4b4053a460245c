namespace Rotation.Core.Ports;

/// <summary>Finds the targets a rotation of a domain fans out to (registered clusters, or the drill's simulated estate).</summary>
public interface ITargetResolver
{
    Task<IReadOnlyList<IRotationTarget>> ResolveAsync(string domain, CancellationToken cancellationToken = default);

    /// <summary>
    /// One target by name, or null when the domain has no such target any more. A Durable cluster activity resolves
    /// only its own cluster; a resolver that connects to clusters should connect to that one only.
    /// </summary>
    async Task<IRotationTarget?> ResolveOneAsync(string domain, string target, CancellationToken cancellationToken = default) =>
        (await ResolveAsync(domain, cancellationToken)).FirstOrDefault(t => t.Name == target);
}
