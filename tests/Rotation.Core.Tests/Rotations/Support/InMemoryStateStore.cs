using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;

namespace Rotation.Core.Tests.Rotations.Support;

/// <summary>
/// IStateStore in memory, held to the same contract as the SQLite and Table Storage stores
/// (<see cref="InMemoryStoreContractTests"/>): versions, atomic change sets, one active rotation per domain,
/// insert-if-absent events, delivery attempts. Engine tests run fast on it. <see cref="FailNextCommit"/> simulates a
/// crash after the step's target writes but before its commit.
/// </summary>
public sealed class InMemoryStateStore : IStateStore
{
    private readonly object _gate = new();
    private readonly Dictionary<string, TrustDomain> _domains = [];
    private readonly Dictionary<string, (long Order, CertificateAuthority Authority)> _authorities = [];
    private readonly Dictionary<string, ClusterRegistration> _clusters = [];
    private readonly Dictionary<string, RotationRecord> _rotations = [];
    private readonly Dictionary<(string Domain, string Serial), IssuedLeaf> _leaves = [];
    private readonly List<OutboxEntry> _outbox = [];
    private long _authorityOrder;

    public bool FailNextCommit { get; set; }

    /// <summary>Runs once, before the next commit of a rotation record is checked: another writer getting in first.</summary>
    public Func<Task>? BeforeNextRotationCommit { get; set; }

    public int Commits { get; private set; }

    /// <summary>Every change set that committed, in order (for tests of how callers split their writes).</summary>
    public List<ChangeSet> Committed { get; } = [];

    public Task<TrustDomain?> FindDomainAsync(string domain, CancellationToken cancellationToken = default) =>
        Locked(() => _domains.GetValueOrDefault(domain));

    public Task<IReadOnlyList<TrustDomain>> ListDomainsAsync(CancellationToken cancellationToken = default) =>
        Locked<IReadOnlyList<TrustDomain>>(() => [.. _domains.Values.OrderBy(d => d.Name, StringComparer.Ordinal)]);

    public Task<IReadOnlyList<CertificateAuthority>> ListAuthoritiesAsync(string domain, CancellationToken cancellationToken = default) =>
        Locked<IReadOnlyList<CertificateAuthority>>(() =>
            [.. _authorities.Values.Where(a => a.Authority.Domain == domain).OrderBy(a => a.Order).Select(a => a.Authority)]);

    public Task<IReadOnlyList<ClusterRegistration>> ListClustersAsync(string? domain = null, CancellationToken cancellationToken = default) =>
        Locked<IReadOnlyList<ClusterRegistration>>(() =>
            [.. _clusters.Values.Where(c => domain is null || c.Domain == domain).OrderBy(c => c.Name, StringComparer.Ordinal)]);

    public Task<RotationRecord?> FindRotationAsync(string rotationId, CancellationToken cancellationToken = default) =>
        Locked(() => _rotations.GetValueOrDefault(rotationId));

    public Task<IReadOnlyList<RotationRecord>> ListRotationsAsync(string? domain = null, CancellationToken cancellationToken = default) =>
        Locked<IReadOnlyList<RotationRecord>>(() =>
            [.. _rotations.Values.Where(r => domain is null || r.Domain == domain).OrderBy(r => r.CreatedAt.UtcDateTime).ThenBy(r => r.Id, StringComparer.Ordinal)]);

    public Task<IReadOnlyList<IssuedLeaf>> ListIssuedLeavesAsync(string domain, CancellationToken cancellationToken = default) =>
        Locked<IReadOnlyList<IssuedLeaf>>(() =>
            [.. _leaves.Values.Where(l => l.Domain == domain).OrderBy(l => l.Serial, StringComparer.Ordinal)]);

    public Task<IReadOnlyList<OutboxEntry>> ReadOutboxAsync(bool unpublishedOnly = false, int max = int.MaxValue, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        return Locked<IReadOnlyList<OutboxEntry>>(() => [.. _outbox.Where(e => !unpublishedOnly || e.IsPending).Take(max)]);
    }

    public Task MarkPublishedAsync(IReadOnlyCollection<string> eventIds, DateTimeOffset publishedAt, CancellationToken cancellationToken = default) =>
        UpdateOutbox(eventIds, e => e.PublishedAt is null ? e with { PublishedAt = publishedAt } : e);

    public Task RecordDeliveryFailureAsync(IReadOnlyCollection<string> eventIds, string error, DateTimeOffset at, int parkAfterAttempts, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parkAfterAttempts, 1);
        var line = string.Join(' ', error.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();
        return UpdateOutbox(eventIds, e => e.PublishedAt is not null
            ? e
            : e with
            {
                Attempts = e.Attempts + 1,
                LastError = line,
                LastAttemptAt = at,
                ParkedAt = e.ParkedAt ?? (e.Attempts + 1 >= parkAfterAttempts ? at : null),
            });
    }

    public Task RequeueAsync(IReadOnlyCollection<string> eventIds, CancellationToken cancellationToken = default) =>
        UpdateOutbox(eventIds, e => e.PublishedAt is null && e.ParkedAt is not null ? e with { Attempts = 0, ParkedAt = null } : e);

    public async Task CommitAsync(ChangeSet changes, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (changes.Rotation is not null && BeforeNextRotationCommit is { } racer)
        {
            BeforeNextRotationCommit = null;
            await racer();
        }

        await Locked(() =>
        {
            if (FailNextCommit)
            {
                FailNextCommit = false;
                throw new IOException("simulated crash before commit");
            }

            // Validate everything first so a failing change set writes nothing; messages match the SQLite store's.
            Validate(changes);

            if (changes.Domain is { } d)
            {
                _domains[d.Name] = d with { Version = d.Version + 1 };
            }

            foreach (var ca in changes.Authorities)
            {
                var order = _authorities.TryGetValue(ca.Id, out var existing) ? existing.Order : ++_authorityOrder;
                _authorities[ca.Id] = (order, ca with { Version = ca.Version + 1 });
            }

            foreach (var cluster in changes.Clusters)
            {
                _clusters[cluster.Name] = cluster with { Version = cluster.Version + 1 };
            }

            foreach (var removed in changes.RemovedClusters)
            {
                _clusters.Remove(removed.Name);
            }

            if (changes.Rotation is { } r)
            {
                _rotations[r.Id] = r with { Version = r.Version + 1 };
            }

            foreach (var leaf in changes.IssuedLeaves)
            {
                _leaves[(leaf.Domain, leaf.Serial)] = leaf with { Version = leaf.Version + 1 };
            }

            foreach (var e in changes.Events.Where(e => _outbox.All(o => o.Event.Id != e.Id)))
            {
                _outbox.Add(new OutboxEntry(_outbox.Count + 1, e, null));
            }

            Commits++;
            Committed.Add(changes);
            return true;
        });
    }

    private void Validate(ChangeSet changes)
    {
        var newDomain = changes.Domain is { Version: 0 } ? changes.Domain.Name : null;
        if (changes.Domain is { } domain)
        {
            Check(_domains.GetValueOrDefault(domain.Name)?.Version, domain.Version, $"trust domain '{domain.Name}'",
                "choose another name or use the existing one");
        }

        void RequireDomain(string name)
        {
            if (name != newDomain && !_domains.ContainsKey(name))
            {
                throw new DomainException($"trust domain '{name}' does not exist: create it with 'rotation init' first");
            }
        }

        var seen = new HashSet<string>();
        foreach (var ca in changes.Authorities)
        {
            RequireDomain(ca.Domain);
            var stored = seen.Add(ca.Id) ? _authorities.GetValueOrDefault(ca.Id).Authority?.Version : ca.Version + 1;
            Check(stored, ca.Version, $"CA '{ca.Id}'", null, $"CA '{ca.Id}' already exists in trust domain '{ca.Domain}': re-read the inventory instead of creating it again");
        }

        foreach (var cluster in changes.Clusters)
        {
            RequireDomain(cluster.Domain);
            Check(_clusters.GetValueOrDefault(cluster.Name)?.Version, cluster.Version, $"cluster '{cluster.Name}'", null,
                $"cluster '{cluster.Name}' is already registered: choose another name or update the existing registration");
        }

        foreach (var removed in changes.RemovedClusters)
        {
            Check(_clusters.GetValueOrDefault(removed.Name)?.Version ?? -1, removed.Version, $"cluster '{removed.Name}'", null);
        }

        foreach (var leaf in changes.IssuedLeaves)
        {
            RequireDomain(leaf.Domain);
            Check(_leaves.GetValueOrDefault((leaf.Domain, leaf.Serial))?.Version, leaf.Version, $"issued leaf '{leaf.Serial}'", null,
                $"issued leaf '{leaf.Serial}' is already recorded in trust domain '{leaf.Domain}'");
        }

        if (changes.Rotation is { } rotation)
        {
            if (rotation.IsActive)
            {
                var otherActive = _rotations.Values.FirstOrDefault(r => r.Domain == rotation.Domain && r.IsActive && r.Id != rotation.Id);
                if (otherActive is not null)
                {
                    throw new DomainException($"trust domain '{rotation.Domain}' already has an active rotation '{otherActive.Id}': resume or abort it first");
                }
            }

            RequireDomain(rotation.Domain);
            Check(_rotations.GetValueOrDefault(rotation.Id)?.Version, rotation.Version, $"rotation '{rotation.Id}'", "resume it, or start a new rotation");
        }
    }

    // stored: the stored version, null when absent (-1 for "absent" on a delete, which has no insert form).
    private static void Check(long? stored, long version, string what, string? duplicateAdvice, string? duplicateMessage = null)
    {
        if (version == 0 && stored is not (null or -1))
        {
            throw new DomainException(duplicateMessage ?? $"{what} already exists: {duplicateAdvice}");
        }

        if (version != 0 && stored != version)
        {
            throw new ConcurrencyConflictException(stored is null or -1
                ? $"{what} does not exist (yours is version {version}): re-read it and retry"
                : $"{what} was changed by someone else (stored version {stored}, yours {version}): re-read it and retry");
        }
    }

    private Task UpdateOutbox(IReadOnlyCollection<string> eventIds, Func<OutboxEntry, OutboxEntry> update) =>
        Locked(() =>
        {
            for (var i = 0; i < _outbox.Count; i++)
            {
                if (eventIds.Contains(_outbox[i].Event.Id))
                {
                    _outbox[i] = update(_outbox[i]);
                }
            }

            return true;
        });

    private Task<T> Locked<T>(Func<T> read)
    {
        lock (_gate)
        {
            return Task.FromResult(read());
        }
    }
}
