using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Expiry;
using Rotation.Core.Ports;

namespace Rotation.Core.Authorities;

public sealed partial class CaService
{
    /// <summary>
    /// Applies the expiry policy at <paramref name="at"/> to every CA still trusted somewhere and appends an event
    /// for each one that needs attention, committing each trust domain's events separately. Ids are deterministic per CA, type, state and UTC day, so a second scan
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
            var domainEvents = new List<CloudEvent>();
            foreach (var authority in inventory.NotRetired.OrderBy(a => a.Role).ThenBy(a => a.Id, StringComparer.Ordinal))
            {
                var assessment = Assess(authority, at, options);
                domainEvents.AddRange(ExpiryEvents.For(ToRow(authority, assessment), at));
            }

            // One commit per trust domain: a store partitioned by domain commits each in one transaction, and a
            // failure in one domain keeps the others' events (a re-run appends only what is missing: ids are deterministic).
            if (domainEvents.Count > 0)
            {
                await _store.CommitAsync(new ChangeSet { Events = domainEvents }, cancellationToken);
                events.AddRange(domainEvents);
            }
        }

        return events;
    }
}
