namespace Rotation.Core.Ports;

/// <summary>Finds the targets a rotation of a domain fans out to (registered clusters, or the drill's simulated estate).</summary>
public interface ITargetResolver
{
    Task<IReadOnlyList<IRotationTarget>> ResolveAsync(string domain, CancellationToken cancellationToken = default);
}
