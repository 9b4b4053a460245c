using Rotation.Core.Domain;
using Rotation.Core.Ports;

namespace Rotation.Core.Authorities;

/// <summary>Checks `init` and `adopt` run against the key custody before they write anything.</summary>
internal static class CustodyChecks
{
    // Signed and thrown away: the signature only proves the custody can use a key it already holds.
    private static readonly byte[] Probe = "rotation: the custody opens the keys it holds"u8.ToArray();

    /// <summary>
    /// A vault that accepted new keys under a different passphrase than its existing ones would leave a home that
    /// needs two secrets, found out only when a rotation needs the old key. Signing with one existing key first turns a
    /// wrong passphrase into an error before anything is written, without the key leaving its custody.
    /// </summary>
    public static async Task ProveOpensExistingKeysAsync(IStateStore store, IKeyCustody custody, CancellationToken cancellationToken)
    {
        foreach (var existing in await store.ListDomainsAsync(cancellationToken))
        {
            var authority = (await store.ListAuthoritiesAsync(existing.Name, cancellationToken))
                .FirstOrDefault(a => a.Status != CaStatus.Retired && a.Key.Provider == custody.Provider);
            if (authority is not null)
            {
                _ = await custody.SignAsync(authority.Key, Probe, cancellationToken);
                return;
            }
        }
    }
}
