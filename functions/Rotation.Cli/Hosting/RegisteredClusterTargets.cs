using Rotation.Core.Domain;
using Rotation.Core.Ports;

namespace Rotation.Cli;

/// <summary>
/// The targets of a domain: one per mesh component of every cluster registered for it. Each target kind needs an
/// adapter factory; a kind this build has no factory for is refused by name rather than silently skipped, because a
/// skipped trust store is exactly how a rotation breaks handshakes.
/// </summary>
public sealed class RegisteredClusterTargets : ITargetResolver
{
    private readonly IStateStore _store;
    private readonly IReadOnlyDictionary<string, Func<ClusterRegistration, TargetSpec, IRotationTarget>> _factories;

    public RegisteredClusterTargets(IStateStore store, IReadOnlyDictionary<string, Func<ClusterRegistration, TargetSpec, IRotationTarget>> factories)
    {
        _store = store;
        _factories = factories;
    }

    public async Task<IReadOnlyList<IRotationTarget>> ResolveAsync(string domain, CancellationToken cancellationToken = default)
    {
        var targets = new List<IRotationTarget>();
        foreach (var cluster in await _store.ListClustersAsync(domain, cancellationToken))
        {
            foreach (var spec in cluster.Targets)
            {
                var factory = _factories.GetValueOrDefault(spec.Kind)
                    ?? throw new DomainException($"cluster '{cluster.Name}' has a '{spec.Kind}' target, which this build of rotation cannot drive: use a build with that adapter, or remove the target from the cluster");
                targets.Add(factory(cluster, spec));
            }
        }

        return targets;
    }
}
