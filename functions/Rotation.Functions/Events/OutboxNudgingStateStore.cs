using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;

namespace Rotation.Functions.Events;

/// <summary>
/// The host's state store: the configured one, unchanged, plus a signal to <see cref="OutboxNudge"/> after every
/// commit that appended events. Every commit of the host (phase steps, approvals and aborts from HTTP or events,
/// the expiry scan, cluster registration) goes through here, so "publish after each commit" holds for all of them
/// without each caller remembering it. The signal follows a successful commit only: a refused or conflicting
/// change set appended nothing.
/// </summary>
public sealed class OutboxNudgingStateStore(IStateStore inner, OutboxNudge nudge, bool ownsInner = false) : IStateStore, IAsyncDisposable, IDisposable
{
    /// <summary>Disposes the configured store when the container built it (the container now sees only this wrapper).</summary>
    public void Dispose()
    {
        if (ownsInner && Inner is IDisposable disposable)
        {
            disposable.Dispose();
        }
    }

    /// <inheritdoc cref="Dispose"/>
    public async ValueTask DisposeAsync()
    {
        if (!ownsInner)
        {
            return;
        }

        if (Inner is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync();
        }
        else if (Inner is IDisposable disposable)
        {
            disposable.Dispose();
        }
    }

    /// <summary>The configured store (Table Storage, SQLite) this one forwards to.</summary>
    public IStateStore Inner { get; } = inner;

    public async Task CommitAsync(ChangeSet changes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        await Inner.CommitAsync(changes, cancellationToken);
        if (changes.Events.Count > 0)
        {
            nudge.Signal();
        }
    }

    public Task<TrustDomain?> FindDomainAsync(string domain, CancellationToken cancellationToken = default) => Inner.FindDomainAsync(domain, cancellationToken);

    public Task<IReadOnlyList<TrustDomain>> ListDomainsAsync(CancellationToken cancellationToken = default) => Inner.ListDomainsAsync(cancellationToken);

    public Task<IReadOnlyList<CertificateAuthority>> ListAuthoritiesAsync(string domain, CancellationToken cancellationToken = default) => Inner.ListAuthoritiesAsync(domain, cancellationToken);

    public Task<IReadOnlyList<ClusterRegistration>> ListClustersAsync(string? domain = null, CancellationToken cancellationToken = default) => Inner.ListClustersAsync(domain, cancellationToken);

    public Task<RotationRecord?> FindRotationAsync(string rotationId, CancellationToken cancellationToken = default) => Inner.FindRotationAsync(rotationId, cancellationToken);

    public Task<IReadOnlyList<RotationRecord>> ListRotationsAsync(string? domain = null, CancellationToken cancellationToken = default) => Inner.ListRotationsAsync(domain, cancellationToken);

    public Task<IReadOnlyList<IssuedLeaf>> ListIssuedLeavesAsync(string domain, CancellationToken cancellationToken = default) => Inner.ListIssuedLeavesAsync(domain, cancellationToken);

    public Task<IReadOnlyList<OutboxEntry>> ReadOutboxAsync(bool unpublishedOnly = false, int max = int.MaxValue, CancellationToken cancellationToken = default) => Inner.ReadOutboxAsync(unpublishedOnly, max, cancellationToken);

    public Task MarkPublishedAsync(IReadOnlyCollection<string> eventIds, DateTimeOffset publishedAt, CancellationToken cancellationToken = default) => Inner.MarkPublishedAsync(eventIds, publishedAt, cancellationToken);

    public Task RecordDeliveryFailureAsync(IReadOnlyCollection<string> eventIds, string error, DateTimeOffset at, int parkAfterAttempts, CancellationToken cancellationToken = default) =>
        Inner.RecordDeliveryFailureAsync(eventIds, error, at, parkAfterAttempts, cancellationToken);

    public Task RequeueAsync(IReadOnlyCollection<string> eventIds, CancellationToken cancellationToken = default) => Inner.RequeueAsync(eventIds, cancellationToken);
}
