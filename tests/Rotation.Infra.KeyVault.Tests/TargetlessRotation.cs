using Rotation.Core.Domain;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;

namespace Rotation.Infra.KeyVault.Tests;

/// <summary>
/// A root rotation committed straight to the store, over a domain with no targets: RotationService refuses a domain
/// without targets, and these tests are about custody (every gate over no targets has nothing to wait for).
/// </summary>
internal static class TargetlessRotation
{
    public static async Task StartRootAsync(IStateStore store, string domain, string id, RotationPolicy policy, DateTimeOffset now)
    {
        var inventory = new CaInventory(domain, await store.ListAuthoritiesAsync(domain));
        await store.CommitAsync(new ChangeSet
        {
            Rotation = new RotationRecord
            {
                Id = id,
                Domain = domain,
                Kind = RotationKind.Root,
                Plan = RotationPlans.For(RotationKind.Root),
                Authorities = new RotationAuthorities(inventory.ActiveRoot.Id, inventory.ActiveIntermediate.Id, null, null),
                Policy = policy,
                CreatedAt = now,
                UpdatedAt = now,
                PhaseStartedAt = now,
                Audit = [],
            },
        });
    }

    /// <summary>A resolver with no targets.</summary>
    public sealed class NoTargets : ITargetResolver
    {
        public Task<IReadOnlyList<IRotationTarget>> ResolveAsync(string domain, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<IRotationTarget>>([]);
    }
}
