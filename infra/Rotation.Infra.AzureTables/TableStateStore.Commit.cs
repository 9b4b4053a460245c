using Azure;
using Azure.Data.Tables;
using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;

namespace Rotation.Infra.AzureTables;

public sealed partial class TableStateStore
{
    private const int MaxCommitAttempts = 5;

    /// <summary>Test seam: runs after a large change set's events are staged, before its manifest commits (a crash there).</summary>
    internal Func<Task>? AfterStaging { get; set; }

    /// <summary>Test seam: runs after a large change set's manifest commits, before roll-forward (a crash there).</summary>
    internal Func<Task>? AfterManifest { get; set; }

    /// <summary>
    /// Validates against what is stored (versions, duplicates, the domain, the active-rotation lock), then commits in one
    /// entity-group transaction whose ETag conditions make a concurrent writer fail rather than interleave. A change set
    /// with more than <see cref="MaxTransactionOperations"/> operations stages its events first and commits its state
    /// with a manifest row; readers see staged events only once their manifest exists (docs/state-store.md).
    /// </summary>
    public async Task CommitAsync(ChangeSet changes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        cancellationToken.ThrowIfCancellationRequested();
        var partition = PartitionOf(changes);

        for (var attempt = 1; ; attempt++)
        {
            await RollForwardAsync(partition, cancellationToken);
            try
            {
                await CommitOnceAsync(partition, changes, cancellationToken);
                return;
            }
            catch (EventRaceException) when (attempt < MaxCommitAttempts)
            {
                // Another writer appended one of these event ids first: plan again, it is now "already there".
            }
        }
    }

    private async Task CommitOnceAsync(string partition, ChangeSet changes, CancellationToken cancellationToken)
    {
        var plan = new List<(TableTransactionAction Action, Func<Task<Exception>> Explain)>();
        var domainName = DomainOf(changes);
        var domainKnown = changes.Domain is not null;

        async Task RequireDomainAsync(string name)
        {
            if (!domainKnown && await GetAsync(partition, TableKeys.DomainRow, cancellationToken) is null)
            {
                throw DomainMissing(name);
            }

            domainKnown = true;
        }

        if (changes.Domain is { } domain)
        {
            var stored = await GetAsync(partition, TableKeys.DomainRow, cancellationToken);
            var entity = TableRows.Domain(partition, domain);
            plan.Add(Versioned(entity, stored, domain.Version, $"trust domain '{domain.Name}'",
                $"trust domain '{domain.Name}' already exists: choose another name or use the existing one"));
        }

        var newAuthorities = new List<(CertificateAuthority Authority, TableEntity? Stored)>();
        var seenAuthorities = new HashSet<string>(StringComparer.Ordinal);
        foreach (var authority in changes.Authorities)
        {
            await RequireDomainAsync(authority.Domain);
            var stored = await GetAsync(partition, TableKeys.Row(TableKeys.Authority, authority.Id), cancellationToken);
            var duplicate = $"CA '{authority.Id}' already exists in trust domain '{authority.Domain}': re-read the inventory instead of creating it again";
            if (!seenAuthorities.Add(authority.Id))
            {
                throw new DomainException(duplicate);
            }

            // Validate now; the entity is built once its creation order is reserved.
            _ = Versioned(TableRows.Authority(partition, authority, 0), stored, authority.Version, $"CA '{authority.Id}'", duplicate);
            newAuthorities.Add((authority, stored));
        }

        foreach (var cluster in changes.Clusters)
        {
            await RequireDomainAsync(cluster.Domain);
            var stored = await GetAsync(partition, TableKeys.Row(TableKeys.Cluster, cluster.Name), cancellationToken);
            plan.Add(Versioned(TableRows.Cluster(partition, cluster), stored, cluster.Version, $"cluster '{cluster.Name}'",
                $"cluster '{cluster.Name}' is already registered: choose another name or update the existing registration"));
        }

        foreach (var removed in changes.RemovedClusters)
        {
            var what = $"cluster '{removed.Name}'";
            var stored = await GetAsync(partition, TableKeys.Row(TableKeys.Cluster, removed.Name), cancellationToken);
            ThrowIfStale(stored, removed.Version, what);
            plan.Add((new TableTransactionAction(TableTransactionActionType.Delete, stored!, stored!.ETag), () => StaleAsync(partition, stored.RowKey, removed.Version, what, cancellationToken)));
        }

        foreach (var leaf in changes.IssuedLeaves)
        {
            await RequireDomainAsync(leaf.Domain);
            var stored = await GetAsync(partition, TableKeys.Row(TableKeys.IssuedLeaf, leaf.Serial), cancellationToken);
            plan.Add(Versioned(TableRows.IssuedLeaf(partition, leaf), stored, leaf.Version, $"issued leaf '{leaf.Serial}'",
                $"issued leaf '{leaf.Serial}' is already recorded in trust domain '{leaf.Domain}'"));
        }

        if (changes.Rotation is { } rotation)
        {
            await PlanRotationAsync(partition, rotation, plan, RequireDomainAsync, cancellationToken);
        }

        var newEvents = await NewEventsAsync(partition, changes.Events, cancellationToken);
        var first = await ReserveSequenceAsync(newAuthorities.Count + newEvents.Count, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();

        var next = first;
        var authorityActions = new List<(TableTransactionAction, Func<Task<Exception>>)>();
        foreach (var (authority, stored) in newAuthorities)
        {
            var order = stored is null ? next++ : TableRows.OrderOf(stored);
            var entity = TableRows.Authority(partition, authority, order);
            authorityActions.Add(Versioned(entity, stored, authority.Version, $"CA '{authority.Id}'",
                $"CA '{authority.Id}' already exists in trust domain '{authority.Domain}': re-read the inventory instead of creating it again"));
        }

        // Same order as the SQLite store writes: domain, authorities, clusters, removals, rotation.
        var domainActions = changes.Domain is null ? 0 : 1;
        plan.InsertRange(domainActions, authorityActions);

        var eventRows = newEvents.Select(e => (Event: e, Sequence: next++)).ToList();
        if (plan.Count + eventRows.Count <= MaxTransactionOperations)
        {
            foreach (var (cloudEvent, sequence) in eventRows)
            {
                plan.Add((new TableTransactionAction(TableTransactionActionType.Add, TableRows.Event(partition, TableKeys.Row(TableKeys.Event, cloudEvent.Id), cloudEvent, sequence)),
                    () => Task.FromResult<Exception>(new EventRaceException())));
            }

            await SubmitPlanAsync(plan, cancellationToken);
            return;
        }

        if (plan.Count + 1 > MaxTransactionOperations)
        {
            throw new DomainException(
                $"this change set writes {plan.Count} entities of trust domain '{domainName}', more than one Table Storage transaction holds ({MaxTransactionOperations - 1} plus the manifest): split it");
        }

        // Stage: rows only this change set writes (keyed by its id), invisible until the manifest below commits.
        var changeSetId = Guid.NewGuid().ToString("N");
        foreach (var chunk in eventRows.Chunk(MaxTransactionOperations))
        {
            await SubmitAsync(
                [.. chunk.Select(row => new TableTransactionAction(
                    TableTransactionActionType.UpsertReplace,
                    TableRows.Event(partition, TableKeys.StagedRow(changeSetId, row.Event.Id), row.Event, row.Sequence, changeSetId)))],
                cancellationToken);
        }

        if (AfterStaging is { } afterStaging)
        {
            await afterStaging();
        }

        cancellationToken.ThrowIfCancellationRequested();
        plan.Add((new TableTransactionAction(TableTransactionActionType.Add, TableRows.Manifest(partition, changeSetId, eventRows.Count, _timeProvider.GetUtcNow())),
            () => Task.FromResult<Exception>(new InvalidOperationException($"change set {changeSetId} was committed twice"))));
        await SubmitPlanAsync(plan, cancellationToken);
        if (AfterManifest is { } afterManifest)
        {
            await afterManifest();
        }

        // Committed. Moving the staged rows into place is idempotent; a crash here is finished by the next writer.
        await RollForwardAsync(partition, CancellationToken.None);
    }

    private async Task PlanRotationAsync(
        string partition,
        RotationRecord rotation,
        List<(TableTransactionAction Action, Func<Task<Exception>> Explain)> plan,
        Func<string, Task> requireDomainAsync,
        CancellationToken cancellationToken)
    {
        var lockEntity = await GetAsync(partition, TableKeys.ActiveRotationLockRow, cancellationToken);
        var holder = lockEntity?.GetString("RotationId");
        if (rotation.IsActive)
        {
            if (holder is not null && holder != rotation.Id)
            {
                throw ActiveRotationExists(rotation.Domain, holder);
            }

            if (holder is null)
            {
                // The lock row is the guarantee: two writers adding it at once cannot both commit.
                plan.Add((new TableTransactionAction(TableTransactionActionType.Add, TableRows.ActiveRotationLock(partition, rotation.Id)),
                    async () => ActiveRotationExists(
                        rotation.Domain,
                        (await GetAsync(partition, TableKeys.ActiveRotationLockRow, CancellationToken.None))?.GetString("RotationId") ?? "?")));
            }
        }
        else if (holder == rotation.Id)
        {
            plan.Add((new TableTransactionAction(TableTransactionActionType.Delete, lockEntity!, lockEntity!.ETag),
                () => Task.FromResult<Exception>(new ConcurrencyConflictException($"rotation '{rotation.Id}' was changed by someone else: re-read it and retry"))));
        }

        await requireDomainAsync(rotation.Domain);
        var stored = await GetAsync(partition, TableKeys.Row(TableKeys.Rotation, rotation.Id), cancellationToken);
        plan.Add(Versioned(TableRows.Rotation(partition, rotation), stored, rotation.Version, $"rotation '{rotation.Id}'",
            $"rotation '{rotation.Id}' already exists: resume it, or start a new rotation"));
    }

    private (TableTransactionAction, Func<Task<Exception>>) Versioned(TableEntity entity, TableEntity? stored, long version, string what, string duplicate)
    {
        if (version == 0)
        {
            if (stored is not null)
            {
                throw new DomainException(duplicate);
            }

            return (new TableTransactionAction(TableTransactionActionType.Add, entity), () => Task.FromResult<Exception>(new DomainException(duplicate)));
        }

        ThrowIfStale(stored, version, what);
        return (new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, stored!.ETag),
            () => StaleAsync(entity.PartitionKey, entity.RowKey, version, what, CancellationToken.None));
    }

    private static void ThrowIfStale(TableEntity? stored, long version, string what)
    {
        if (stored is null)
        {
            throw new ConcurrencyConflictException($"{what} does not exist (yours is version {version}): re-read it and retry");
        }

        var storedVersion = TableRows.VersionOf(stored);
        if (storedVersion != version)
        {
            throw new ConcurrencyConflictException($"{what} was changed by someone else (stored version {storedVersion}, yours {version}): re-read it and retry");
        }
    }

    private async Task<Exception> StaleAsync(string partition, string row, long version, string what, CancellationToken cancellationToken)
    {
        try
        {
            ThrowIfStale(await GetAsync(partition, row, cancellationToken), version, what);
            return new ConcurrencyConflictException($"{what} was changed by someone else while this commit ran: re-read it and retry");
        }
        catch (ConcurrencyConflictException ex)
        {
            return ex;
        }
    }

    private async Task SubmitPlanAsync(List<(TableTransactionAction Action, Func<Task<Exception>> Explain)> plan, CancellationToken cancellationToken)
    {
        try
        {
            await SubmitAsync([.. plan.Select(p => p.Action)], cancellationToken);
        }
        catch (TableTransactionFailedException ex) when (ex.FailedTransactionActionIndex is { } index && index >= 0 && index < plan.Count)
        {
            // The failed action names what went wrong; its explanation re-reads the row for the same message a pre-check gives.
            throw await plan[index].Explain();
        }
    }

    /// <summary>The change set's events that are not in the outbox yet, first occurrence of each id, in order.</summary>
    private async Task<List<CloudEvent>> NewEventsAsync(string partition, IReadOnlyList<CloudEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return [];
        }

        var existing = (await QueryAsync($"{TableKeys.PartitionFilter(partition)} and {TableKeys.PrefixFilter(TableKeys.Event)}", cancellationToken))
            .Select(TableRows.EventIdOf)
            .ToHashSet(StringComparer.Ordinal);
        return [.. events.Where(e => existing.Add(e.Id))];
    }

    /// <summary>The one trust domain a change set writes; events alone follow their source's domain.</summary>
    private static string PartitionOf(ChangeSet changes)
    {
        var domains = DomainsOf(changes).Distinct(StringComparer.Ordinal).ToList();
        if (domains.Count > 1)
        {
            throw new DomainException(
                $"one change set writes to trust domains {string.Join(", ", domains.Select(d => $"'{d}'"))}: the Table Storage store commits one trust domain at a time, split the change set");
        }

        if (domains.Count == 1)
        {
            return TableKeys.Partition(domains[0]);
        }

        var eventDomains = changes.Events.Select(e => DomainOfSource(e.Source)).Distinct().ToList();
        return eventDomains is [{ } only] ? TableKeys.Partition(only) : TableKeys.OutboxPartition;
    }

    private static string DomainOf(ChangeSet changes) => DomainsOf(changes).FirstOrDefault() ?? "(events only)";

    private static IEnumerable<string> DomainsOf(ChangeSet changes) =>
        new[] { changes.Domain?.Name, changes.Rotation?.Domain }
            .Concat(changes.Authorities.Select(a => a.Domain))
            .Concat(changes.Clusters.Select(c => c.Domain))
            .Concat(changes.RemovedClusters.Select(c => c.Domain))
            .Concat(changes.IssuedLeaves.Select(l => l.Domain))
            .OfType<string>();

    // Rotation's sources are "/rotation/domains/{domain}[/...]" (ExpiryEvents.SourceFor, RotationEvents).
    private static string? DomainOfSource(string source)
    {
        const string prefix = "/rotation/domains/";
        if (!source.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = source[prefix.Length..];
        var end = rest.IndexOf('/', StringComparison.Ordinal);
        return end < 0 ? rest : rest[..end];
    }

    private static DomainException DomainMissing(string domain) =>
        new($"trust domain '{domain}' does not exist: create it with 'rotation init' first");

    private static DomainException ActiveRotationExists(string domain, string existing) =>
        new($"trust domain '{domain}' already has an active rotation '{existing}': resume or abort it first");

    /// <summary>An event row another writer added between our read and our commit.</summary>
    private sealed class EventRaceException : Exception;
}
