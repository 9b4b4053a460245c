using Azure;
using Azure.Data.Tables;
using Rotation.Core.Domain;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;

namespace Rotation.Infra.AzureTables;

/// <summary>
/// <see cref="IStateStore"/> on Azure Table Storage (or Azurite). One partition per trust domain holds the domain,
/// its CAs, clusters, rotations, an active-rotation lock and its outbox rows, so a change set commits in one
/// entity-group transaction. Change sets bigger than one transaction (100 operations) are staged and made visible by a
/// manifest committed last. Versions are checked against the stored Version and enforced with ETags.
/// See docs/state-store.md.
/// </summary>
public sealed partial class TableStateStore : IStateStore
{
    /// <summary>Operations per entity-group transaction (Table service limit).</summary>
    public const int MaxTransactionOperations = 100;

    private readonly TableClient _table;
    private readonly TimeProvider _timeProvider;
    private readonly Lazy<Task> _tableReady;

    public TableStateStore(TableStoreOptions options, TimeProvider? timeProvider = null)
        : this(CreateService(options), options.TableName, timeProvider)
    {
    }

    public TableStateStore(TableServiceClient service, string tableName, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = service.GetTableClient(tableName);
        _timeProvider = timeProvider ?? TimeProvider.System;
        _tableReady = new Lazy<Task>(() => _table.CreateIfNotExistsAsync());
    }

    public string TableName => _table.Name;

    public Uri Endpoint => _table.Uri;

    private static TableServiceClient CreateService(TableStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options.ConnectionString is { } connectionString
            ? new TableServiceClient(connectionString)
            : new TableServiceClient(options.Endpoint, options.Credential);
    }

    public async Task<TrustDomain?> FindDomainAsync(string domain, CancellationToken cancellationToken = default)
    {
        var entity = await GetAsync(TableKeys.Partition(domain), TableKeys.DomainRow, cancellationToken);
        return entity is null ? null : TableRows.Domain(entity);
    }

    public async Task<IReadOnlyList<TrustDomain>> ListDomainsAsync(CancellationToken cancellationToken = default) =>
        [.. (await QueryAsync($"RowKey eq '{TableKeys.DomainRow}'", cancellationToken))
            .Select(TableRows.Domain)
            .OrderBy(d => d.Name, StringComparer.Ordinal)];

    /// <summary>In the order they were created.</summary>
    public async Task<IReadOnlyList<CertificateAuthority>> ListAuthoritiesAsync(string domain, CancellationToken cancellationToken = default) =>
        [.. (await QueryAsync($"{TableKeys.PartitionFilter(TableKeys.Partition(domain))} and {TableKeys.PrefixFilter(TableKeys.Authority)}", cancellationToken))
            .OrderBy(TableRows.OrderOf)
            .Select(TableRows.Authority)];

    public async Task<IReadOnlyList<ClusterRegistration>> ListClustersAsync(string? domain = null, CancellationToken cancellationToken = default) =>
        [.. (await QueryAsync(InDomain(domain, TableKeys.Cluster), cancellationToken))
            .Select(TableRows.Cluster)
            .OrderBy(c => c.Name, StringComparer.Ordinal)];

    public async Task<IReadOnlyList<IssuedLeaf>> ListIssuedLeavesAsync(string domain, CancellationToken cancellationToken = default) =>
        [.. (await QueryAsync($"{TableKeys.PartitionFilter(TableKeys.Partition(domain))} and {TableKeys.PrefixFilter(TableKeys.IssuedLeaf)}", cancellationToken))
            .Select(TableRows.IssuedLeaf)
            .OrderBy(l => l.Serial, StringComparer.Ordinal)];

    public async Task<RotationRecord?> FindRotationAsync(string rotationId, CancellationToken cancellationToken = default)
    {
        var rows = await QueryAsync($"RowKey eq '{TableKeys.Quote(TableKeys.Row(TableKeys.Rotation, rotationId))}'", cancellationToken);
        return rows.Count == 0 ? null : TableRows.Rotation(rows[0]);
    }

    /// <summary>Oldest first.</summary>
    public async Task<IReadOnlyList<RotationRecord>> ListRotationsAsync(string? domain = null, CancellationToken cancellationToken = default) =>
        [.. (await QueryAsync(InDomain(domain, TableKeys.Rotation), cancellationToken))
            .OrderBy(r => r.GetString("CreatedAtUtc"), StringComparer.Ordinal)
            .ThenBy(r => r.GetString("Id"), StringComparer.Ordinal)
            .Select(TableRows.Rotation)];

    private static string InDomain(string? domain, string prefix) => domain is null
        ? TableKeys.PrefixFilter(prefix)
        : $"{TableKeys.PartitionFilter(TableKeys.Partition(domain))} and {TableKeys.PrefixFilter(prefix)}";

    private async Task<TableEntity?> GetAsync(string partition, string row, CancellationToken cancellationToken)
    {
        await _tableReady.Value.WaitAsync(cancellationToken);
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: cancellationToken);
        return response.HasValue ? response.Value : null;
    }

    private async Task<List<TableEntity>> QueryAsync(string filter, CancellationToken cancellationToken)
    {
        await _tableReady.Value.WaitAsync(cancellationToken);
        var rows = new List<TableEntity>();
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            rows.Add(entity);
        }

        return rows;
    }

    private async Task SubmitAsync(IReadOnlyList<TableTransactionAction> actions, CancellationToken cancellationToken)
    {
        if (actions.Count > 0)
        {
            await _tableReady.Value.WaitAsync(cancellationToken);
            await _table.SubmitTransactionAsync(actions, cancellationToken);
        }
    }

    /// <summary>Reserves <paramref name="count"/> store-wide sequence numbers (outbox order, CA creation order); returns the first.</summary>
    private async Task<long> ReserveSequenceAsync(int count, CancellationToken cancellationToken)
    {
        if (count == 0)
        {
            return 0;
        }

        while (true)
        {
            var counter = await GetAsync(TableKeys.GlobalPartition, TableKeys.SequenceRow, cancellationToken);
            try
            {
                if (counter is null)
                {
                    await _table.AddEntityAsync(new TableEntity(TableKeys.GlobalPartition, TableKeys.SequenceRow) { ["Next"] = 1L + count }, cancellationToken);
                    return 1;
                }

                var first = counter.GetInt64("Next") ?? 1;
                counter["Next"] = first + count;
                await _table.UpdateEntityAsync(counter, counter.ETag, TableUpdateMode.Replace, cancellationToken);
                return first;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412)
            {
                // Another writer took numbers first: read again.
            }
        }
    }
}
