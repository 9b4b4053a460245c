using Rotation.Core.Domain;
using Rotation.Core.Ports;

namespace Rotation.Core.Authorities;

/// <summary>
/// A CA the store is about to record as retired has its key retired in custody first (Key Vault: the version is
/// disabled; local: the record says retired and the key signs and exports nothing), so "retired in the store" always
/// means "signs nothing". Called before the change set commits: a crash after the custody call and before the commit
/// re-runs the same step, whose retirement finds the key already retired and goes on (RetireAsync is repeatable).
/// </summary>
public static class RetiredCaKeys
{
    public static async Task RetireAsync(IKeyCustody custody, IReadOnlyList<CertificateAuthority> before, IEnumerable<CertificateAuthority> changed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(custody);
        foreach (var ca in changed.Where(c => c.Status == CaStatus.Retired))
        {
            var previous = before.FirstOrDefault(a => a.Id == ca.Id && a.Domain == ca.Domain);
            // Already retired (and its key with it) in an earlier commit; a key another custody holds (an adopted CA
            // whose key stayed outside, AbsentKeys) is not this custody's to touch: its CA is retired in the store only.
            if (previous?.Status == CaStatus.Retired || ca.Key.Provider != custody.Provider)
            {
                continue;
            }

            await custody.RetireAsync(ca.Key, cancellationToken);
        }
    }
}
