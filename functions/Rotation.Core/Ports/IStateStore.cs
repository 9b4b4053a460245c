using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Rotations;

namespace Rotation.Core.Ports;

/// <summary>
/// Rotation's durable state: trust domains, CAs, clusters, rotations and the event outbox.
/// Reads are plain; every change goes through <see cref="CommitAsync"/>, which applies a whole
/// <see cref="ChangeSet"/> atomically or not at all.
/// </summary>
public interface IStateStore
{
    Task<TrustDomain?> FindDomainAsync(string domain, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<TrustDomain>> ListDomainsAsync(CancellationToken cancellationToken = default);
    Task<IReadOnlyList<CertificateAuthority>> ListAuthoritiesAsync(string domain, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<ClusterRegistration>> ListClustersAsync(string? domain = null, CancellationToken cancellationToken = default);
    Task<RotationRecord?> FindRotationAsync(string rotationId, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<RotationRecord>> ListRotationsAsync(string? domain = null, CancellationToken cancellationToken = default);

    /// <summary>The leaves <c>rotation issue-leaf</c> recorded for <paramref name="domain"/>, forgotten ones included, in serial order.</summary>
    Task<IReadOnlyList<IssuedLeaf>> ListIssuedLeavesAsync(string domain, CancellationToken cancellationToken = default);

    /// <summary>
    /// Outbox events in append order (oldest first); with <paramref name="unpublishedOnly"/> only the pending ones
    /// (<see cref="OutboxEntry.IsPending"/>: neither published nor parked).
    /// </summary>
    Task<IReadOnlyList<OutboxEntry>> ReadOutboxAsync(bool unpublishedOnly = false, int max = int.MaxValue, CancellationToken cancellationToken = default);

    /// <summary>Idempotent: an event keeps the time it was first published; unknown ids are ignored.</summary>
    Task MarkPublishedAsync(IReadOnlyCollection<string> eventIds, DateTimeOffset publishedAt, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records one failed delivery attempt of each unpublished event: attempts + 1, the error (one line) and the time.
    /// A row whose attempts reach <paramref name="parkAfterAttempts"/> is parked at <paramref name="at"/>.
    /// Published and unknown ids are ignored.
    /// </summary>
    Task RecordDeliveryFailureAsync(IReadOnlyCollection<string> eventIds, string error, DateTimeOffset at, int parkAfterAttempts, CancellationToken cancellationToken = default);

    /// <summary>Puts parked, unpublished events back in the queue (attempts reset to 0, last error kept).</summary>
    Task RequeueAsync(IReadOnlyCollection<string> eventIds, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies every change in one transaction. Entities with Version 0 are inserted (a duplicate key throws
    /// <see cref="DomainException"/>); others are updated only if the stored version equals theirs, else
    /// <see cref="ConcurrencyConflictException"/>; the stored version becomes Version + 1. Events are
    /// insert-if-absent by id. A second active rotation for a domain throws <see cref="DomainException"/>.
    /// A change set writes into at most one trust domain (its entities' domain; events ride along): stores
    /// partitioned by domain commit it in one partition and refuse one that spans two.
    /// </summary>
    Task CommitAsync(ChangeSet changes, CancellationToken cancellationToken = default);
}
