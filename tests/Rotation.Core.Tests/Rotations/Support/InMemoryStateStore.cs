using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;

namespace Rotation.Core.Tests.Rotations.Support;

/// <summary>
/// IStateStore with the same contract as the SQLite store (versions, atomic change sets, one active rotation per
/// domain, insert-if-absent events), in memory, so engine tests run fast. <see cref="FailNextCommit"/> simulates a
/// crash after the step's target writes but before its commit.
/// </summary>
public sealed class InMemoryStateStore : IStateStore
{
    private readonly object _gate = new();
    private readonly Dictionary<string, TrustDomain> _domains = [];
    private readonly Dictionary<string, CertificateAuthority> _authorities = [];
    private readonly Dictionary<string, ClusterRegistration> _clusters = [];
    private readonly Dictionary<string, RotationRecord> _rotations = [];
    private readonly List<OutboxEntry> _outbox = [];

    public bool FailNextCommit { get; set; }
    public int Commits { get; private set; }

    public Task<TrustDomain?> FindDomainAsync(string domain, CancellationToken cancellationToken = default) =>
        Locked(() => _domains.GetValueOrDefault(domain));

    public Task<IReadOnlyList<TrustDomain>> ListDomainsAsync(CancellationToken cancellationToken = default) =>
        Locked<IReadOnlyList<TrustDomain>>(() => [.. _domains.Values]);

    public Task<IReadOnlyList<CertificateAuthority>> ListAuthoritiesAsync(string domain, CancellationToken cancellationToken = default) =>
        Locked<IReadOnlyList<CertificateAuthority>>(() => [.. _authorities.Values.Where(a => a.Domain == domain)]);

    public Task<IReadOnlyList<ClusterRegistration>> ListClustersAsync(string? domain = null, CancellationToken cancellationToken = default) =>
        Locked<IReadOnlyList<ClusterRegistration>>(() => [.. _clusters.Values.Where(c => domain is null || c.Domain == domain)]);

    public Task<RotationRecord?> FindRotationAsync(string rotationId, CancellationToken cancellationToken = default) =>
        Locked(() => _rotations.GetValueOrDefault(rotationId));

    public Task<IReadOnlyList<RotationRecord>> ListRotationsAsync(string? domain = null, CancellationToken cancellationToken = default) =>
        Locked<IReadOnlyList<RotationRecord>>(() => [.. _rotations.Values.Where(r => domain is null || r.Domain == domain).OrderBy(r => r.CreatedAt)]);

    public Task<IReadOnlyList<OutboxEntry>> ReadOutboxAsync(bool unpublishedOnly = false, int max = int.MaxValue, CancellationToken cancellationToken = default) =>
        Locked<IReadOnlyList<OutboxEntry>>(() => [.. _outbox.Where(e => !unpublishedOnly || e.PublishedAt is null).Take(max)]);

    public Task MarkPublishedAsync(IReadOnlyCollection<string> eventIds, DateTimeOffset publishedAt, CancellationToken cancellationToken = default) =>
        Locked(() =>
        {
            for (var i = 0; i < _outbox.Count; i++)
            {
                if (eventIds.Contains(_outbox[i].Event.Id))
                {
                    _outbox[i] = _outbox[i] with { PublishedAt = publishedAt };
                }
            }

            return true;
        });

    public Task CommitAsync(ChangeSet changes, CancellationToken cancellationToken = default) =>
        Locked(() =>
        {
            if (FailNextCommit)
            {
                FailNextCommit = false;
                throw new IOException("simulated crash before commit");
            }

            // Validate everything first so a failing change set writes nothing.
            if (changes.Domain is { } domain)
            {
                Check(_domains, domain.Name, domain.Version, $"trust domain '{domain.Name}'");
            }

            foreach (var ca in changes.Authorities)
            {
                Check(_authorities, ca.Id, ca.Version, $"CA '{ca.Id}'");
            }

            if (changes.Rotation is { } rotation)
            {
                Check(_rotations, rotation.Id, rotation.Version, $"rotation '{rotation.Id}'");
                var otherActive = _rotations.Values.FirstOrDefault(r => r.Domain == rotation.Domain && r.IsActive && r.Id != rotation.Id);
                if (rotation.IsActive && otherActive is not null)
                {
                    throw new DomainException($"trust domain '{rotation.Domain}' already has an active rotation '{otherActive.Id}'");
                }
            }

            if (changes.Domain is { } d)
            {
                _domains[d.Name] = d with { Version = d.Version + 1 };
            }

            foreach (var ca in changes.Authorities)
            {
                _authorities[ca.Id] = ca with { Version = ca.Version + 1 };
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

            foreach (var e in changes.Events.Where(e => _outbox.All(o => o.Event.Id != e.Id)))
            {
                _outbox.Add(new OutboxEntry(_outbox.Count + 1, e, null));
            }

            Commits++;
            return true;
        });

    private static void Check<T>(Dictionary<string, T> table, string key, long version, string what)
        where T : class
    {
        var exists = table.TryGetValue(key, out var current);
        if (version == 0 && exists)
        {
            throw new DomainException($"{what} already exists");
        }

        if (version != 0 && (!exists || VersionOf(current!) != version))
        {
            throw new ConcurrencyConflictException($"{what} was changed by someone else");
        }
    }

    private static long VersionOf(object entity) => entity switch
    {
        TrustDomain d => d.Version,
        CertificateAuthority a => a.Version,
        RotationRecord r => r.Version,
        _ => 0,
    };

    private Task<T> Locked<T>(Func<T> read)
    {
        lock (_gate)
        {
            return Task.FromResult(read());
        }
    }
}
