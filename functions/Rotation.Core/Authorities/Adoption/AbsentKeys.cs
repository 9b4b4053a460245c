using Rotation.Core.Domain;
using Rotation.Core.Rotations;

namespace Rotation.Core.Authorities.Adoption;

/// <summary>
/// A root adopted without its private key: the store holds its certificate and a reference that names no key. A root
/// rotation never needs the old root's key (the new root signs the new intermediate); an intermediate rotation does.
/// </summary>
public static class AbsentKeys
{
    public const string Provider = "absent";

    public static KeyReference For(string domain, string caId) => new(Provider, CaIds.KeyName(domain, caId));

    public static bool IsAbsent(KeyReference reference) => reference.Provider == Provider;

    /// <summary>Refuses an intermediate rotation under a root whose key Rotation does not hold, with the alternative.</summary>
    public static void EnsureRotatable(CaInventory inventory, RotationKind kind)
    {
        if (kind == RotationKind.Intermediate && IsAbsent(inventory.ActiveRoot.Key))
        {
            throw new DomainException(
                $"trust domain '{inventory.Domain}' cannot rotate its intermediate: root {inventory.ActiveRoot.Id} was adopted without its private key, so Rotation cannot sign a new intermediate under it; rotate the root instead ('rotation rotate root'), which mints a new root and intermediate and needs no old key, or adopt again with the root key");
        }
    }
}
