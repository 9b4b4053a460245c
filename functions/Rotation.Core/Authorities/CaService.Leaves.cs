using Rotation.Core.Domain;
using Rotation.Core.Ports;

namespace Rotation.Core.Authorities;

public sealed partial class CaService
{
    /// <summary>The leaves <c>rotation issue-leaf</c> recorded for the domain, forgotten and expired ones included.</summary>
    public async Task<IReadOnlyList<IssuedLeaf>> ListIssuedLeavesAsync(string? domain, CancellationToken cancellationToken = default)
    {
        var trustDomain = await DomainSelection.ResolveAsync(_store, domain, cancellationToken);
        return await _store.ListIssuedLeavesAsync(trustDomain.Name, cancellationToken);
    }

    /// <summary>
    /// The operator's explicit statement that a recorded leaf is no longer presented by anyone: the leaf gate stops
    /// holding on it. The record stays, with who forgot it and when. Forgetting twice is refused, so a typo'd serial
    /// or a second operator is told rather than silently ignored.
    /// </summary>
    public async Task<IssuedLeaf> ForgetIssuedLeafAsync(string? domain, string serial, string by, CancellationToken cancellationToken = default)
    {
        var trustDomain = await DomainSelection.ResolveAsync(_store, domain, cancellationToken);
        var leaves = await _store.ListIssuedLeavesAsync(trustDomain.Name, cancellationToken);
        var leaf = leaves.FirstOrDefault(l => string.Equals(l.Serial, serial, StringComparison.OrdinalIgnoreCase))
            ?? throw new DomainException($"no leaf with serial '{serial}' was issued in trust domain '{trustDomain.Name}': list them with 'rotation leaf list'");
        if (leaf.ForgottenAt is { } at)
        {
            throw new DomainException($"leaf '{leaf.Serial}' was already forgotten at {at:u} by {leaf.ForgottenBy}");
        }

        var forgotten = leaf with { ForgottenAt = _time.GetUtcNow(), ForgottenBy = by };
        await _store.CommitAsync(new ChangeSet { IssuedLeaves = [forgotten] }, cancellationToken);
        return forgotten with { Version = leaf.Version + 1 };
    }
}
