using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Expiry;
using Rotation.Core.Ports;

namespace Rotation.Core.Authorities;

public sealed partial class CaService
{
    /// <summary>
    /// Applies the expiry policy at <paramref name="at"/> to every CA still trusted somewhere and appends an event
    /// for each one that needs attention. Ids are deterministic per CA, type, state and UTC day, so a second scan
    /// on the same day appends nothing new. Returns every event the scan produced, new or already in the outbox.
    /// </summary>
    public async Task<IReadOnlyList<CloudEvent>> ScanAsync(
        DateTimeOffset at,
        ExpiryPolicyOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new ExpiryPolicyOptions();
        var events = new List<CloudEvent>();
        foreach (var trustDomain in await _store.ListDomainsAsync(cancellationToken))
        {
            var inventory = await LoadInventoryAsync(trustDomain.Name, cancellationToken);
            foreach (var authority in inventory.NotRetired.OrderBy(a => a.Role).ThenBy(a => a.Id, StringComparer.Ordinal))
            {
                var assessment = Assess(authority, at, options);
                events.AddRange(ExpiryEvents.For(ToRow(authority, assessment), at));
            }
        }

        if (events.Count > 0)
        {
            await _store.CommitAsync(new ChangeSet { Events = events }, cancellationToken);
        }

        return events;
    }
}
