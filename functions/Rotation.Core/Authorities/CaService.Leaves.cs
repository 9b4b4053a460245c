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
    /// or a second operator is told rather than silently ignored. A gate of the domain's active rotation that is parked
    /// becomes due now, so forgetting is enough to let the next resume look again.
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

        var now = _time.GetUtcNow();
        var forgotten = leaf with { ForgottenAt = now, ForgottenBy = by };

        // A gate parked on this leaf would otherwise sleep until the leaf's notAfter: make it due now, in the same
        // commit, so the next resume (or the scheduled driver) looks again.
        var active = (await _store.ListRotationsAsync(trustDomain.Name, cancellationToken)).FirstOrDefault(r => r.IsActive);
        var rearmed = active?.Gate is { } gate && gate.NextCheckAt > now
            ? active with
            {
                Gate = gate with { NextCheckAt = now },
                UpdatedAt = now,
                Audit = [.. active.Audit, new Rotations.AuditEntry(now, "leaf forgotten", gate.Phase, $"leaf {leaf.Serial} forgotten by {by}: gate due now")],
            }
            : null;
        await _store.CommitAsync(new ChangeSet { IssuedLeaves = [forgotten], Rotation = rearmed }, cancellationToken);
        return forgotten with { Version = leaf.Version + 1 };
    }
}
