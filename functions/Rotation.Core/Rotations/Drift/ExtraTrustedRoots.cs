using Rotation.Core.Domain;

namespace Rotation.Core.Rotations.Drift;

/// <summary>
/// Roots adopted beside the issuing root (a bundle that already held several): trusted (retiring) roots with no
/// intermediate of their own. Every bundle keeps them until a root rotation retires them together with the old root.
/// </summary>
public static class ExtraTrustedRoots
{
    public static IReadOnlyList<CertificateAuthority> Of(CaInventory inventory, string? exceptId = null, string? alsoExceptId = null) =>
        inventory.Authorities
            .Where(a => a.Role == CaRole.Root && a.Status == CaStatus.Retiring && a.Id != exceptId && a.Id != alsoExceptId)
            .Where(a => !inventory.Authorities.Any(i => i.Role == CaRole.Intermediate && i.ParentId == a.Id))
            .ToList();
}
