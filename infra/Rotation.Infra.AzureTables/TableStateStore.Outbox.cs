using Azure;
using Azure.Data.Tables;
using Rotation.Core.Ports;

namespace Rotation.Infra.AzureTables;

public sealed partial class TableStateStore
{
    private static readonly TimeSpan OrphanAge = TimeSpan.FromHours(1);

    /// <summary>
    /// Committed outbox rows of every partition plus the staged rows of committed manifests not yet moved into place;
    /// staged rows without a manifest belong to a change set that never committed and are not events.
    /// </summary>
    public async Task<IReadOnlyList<OutboxEntry>> ReadOutboxAsync(bool unpublishedOnly = false, int max = int.MaxValue, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        var rows = await VisibleEventRowsAsync(cancellationToken);
        return [.. rows.Select(TableRows.Outbox).Where(e => !unpublishedOnly || e.IsPending).OrderBy(e => e.Sequence).Take(max)];
    }

    public Task MarkPublishedAsync(IReadOnlyCollection<string> eventIds, DateTimeOffset publishedAt, CancellationToken cancellationToken = default) =>
        UpdateEventsAsync(eventIds, row =>
        {
            if (row.GetString("PublishedAt") is not null)
            {
                return false;
            }

            row["PublishedAt"] = TableRows.Time(publishedAt);
            return true;
        }, cancellationToken);

    public Task RecordDeliveryFailureAsync(IReadOnlyCollection<string> eventIds, string error, DateTimeOffset at, int parkAfterAttempts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(error);
        ArgumentOutOfRangeException.ThrowIfLessThan(parkAfterAttempts, 1);
        var line = string.Join(' ', error.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();
        return UpdateEventsAsync(eventIds, row =>
        {
            if (row.GetString("PublishedAt") is not null)
            {
                return false;
            }

            var attempts = (row.GetInt32("Attempts") ?? 0) + 1;
            row["Attempts"] = attempts;
            row["LastError"] = line;
            row["LastAttemptAt"] = TableRows.Time(at);
            if (attempts >= parkAfterAttempts && row.GetString("ParkedAt") is null)
            {
                row["ParkedAt"] = TableRows.Time(at);
            }

            return true;
        }, cancellationToken);
    }

    public Task RequeueAsync(IReadOnlyCollection<string> eventIds, CancellationToken cancellationToken = default) =>
        UpdateEventsAsync(eventIds, row =>
        {
            if (row.GetString("PublishedAt") is not null || row.GetString("ParkedAt") is null)
            {
                return false;
            }

            row["Attempts"] = 0;
            row["ParkedAt"] = null;
            return true;
        }, cancellationToken);

    // Read, change, write back under the row's ETag; a concurrent change to a row re-reads and re-applies.
    private async Task UpdateEventsAsync(IReadOnlyCollection<string> eventIds, Func<TableEntity, bool> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(eventIds);
        if (eventIds.Count == 0)
        {
            return;
        }

        foreach (var partition in (await QueryAsync(TableKeys.PrefixFilter(TableKeys.Manifest), cancellationToken)).Select(m => m.PartitionKey).Distinct())
        {
            await RollForwardAsync(partition, cancellationToken);
        }

        var wanted = eventIds.ToHashSet(StringComparer.Ordinal);
        for (var attempt = 1; ; attempt++)
        {
            var rows = new List<TableEntity>();
            foreach (var chunk in wanted.Chunk(15))
            {
                var ids = string.Join(" or ", chunk.Select(id => $"RowKey eq '{TableKeys.Quote(TableKeys.Row(TableKeys.Event, id))}'"));
                rows.AddRange(await QueryAsync(ids, cancellationToken));
            }

            var changed = rows.Where(change).ToList();
            try
            {
                foreach (var group in changed.GroupBy(r => r.PartitionKey))
                {
                    foreach (var chunk in group.Chunk(MaxTransactionOperations))
                    {
                        await SubmitAsync([.. chunk.Select(r => new TableTransactionAction(TableTransactionActionType.UpdateReplace, r, r.ETag))], cancellationToken);
                    }
                }

                return;
            }
            catch (TableTransactionFailedException ex) when (ex.Status == 412 && attempt < MaxCommitAttempts)
            {
                // A row changed since we read it (another publisher): read again; chunks already written are no-ops or re-applied.
            }
        }
    }

    private async Task<List<TableEntity>> VisibleEventRowsAsync(CancellationToken cancellationToken)
    {
        var committed = await QueryAsync(TableKeys.PrefixFilter(TableKeys.Event), cancellationToken);
        var manifests = (await QueryAsync(TableKeys.PrefixFilter(TableKeys.Manifest), cancellationToken))
            .Select(m => (m.PartitionKey, m.GetString("ChangeSet")))
            .ToHashSet();
        if (manifests.Count == 0)
        {
            return committed;
        }

        var seen = committed.Select(r => (r.PartitionKey, TableRows.EventIdOf(r))).ToHashSet();
        var staged = (await QueryAsync(TableKeys.PrefixFilter(TableKeys.Staged), cancellationToken))
            .Where(r => manifests.Contains((r.PartitionKey, r.GetString("ChangeSet"))) && seen.Add((r.PartitionKey, TableRows.EventIdOf(r))));
        return [.. committed, .. staged];
    }

    /// <summary>
    /// Finishes every committed change set of the partition: copies its staged rows to their "event|" place (insert if
    /// absent, so a row already moved and since published is left alone), deletes them, then the manifest. Idempotent;
    /// run by every writer first, so a crash after a manifest commit is finished by the next writer. Staged rows with
    /// no manifest older than an hour belong to a commit that died before its manifest and are deleted.
    /// </summary>
    private async Task RollForwardAsync(string partition, CancellationToken cancellationToken)
    {
        var staged = await QueryAsync($"{TableKeys.PartitionFilter(partition)} and {TableKeys.PrefixFilter(TableKeys.Staged)}", cancellationToken);
        var manifests = await QueryAsync($"{TableKeys.PartitionFilter(partition)} and {TableKeys.PrefixFilter(TableKeys.Manifest)}", cancellationToken);
        if (staged.Count == 0 && manifests.Count == 0)
        {
            return;
        }

        var committedSets = manifests.Select(m => m.GetString("ChangeSet")).ToHashSet(StringComparer.Ordinal);
        var existing = (await QueryAsync($"{TableKeys.PartitionFilter(partition)} and {TableKeys.PrefixFilter(TableKeys.Event)}", cancellationToken))
            .Select(TableRows.EventIdOf)
            .ToHashSet(StringComparer.Ordinal);
        var moving = staged.Where(r => committedSets.Contains(r.GetString("ChangeSet"))).ToList();
        foreach (var chunk in moving.Where(r => !existing.Contains(TableRows.EventIdOf(r))).Chunk(MaxTransactionOperations))
        {
            try
            {
                await SubmitAsync([.. chunk.Select(r => new TableTransactionAction(TableTransactionActionType.Add, TableRows.Committed(r, TableRows.EventIdOf(r))))], cancellationToken);
            }
            catch (TableTransactionFailedException ex) when (ex.Status == 409)
            {
                // Another writer is rolling the same change set forward: add the rest one by one, skipping what is there.
                foreach (var row in chunk)
                {
                    try
                    {
                        await _table.AddEntityAsync(TableRows.Committed(row, TableRows.EventIdOf(row)), cancellationToken);
                    }
                    catch (RequestFailedException one) when (one.Status == 409)
                    {
                    }
                }
            }
        }

        var cutoff = _timeProvider.GetUtcNow() - OrphanAge;
        var orphans = staged.Where(r => !committedSets.Contains(r.GetString("ChangeSet")) && r.Timestamp < cutoff);
        await DeleteIfPresentAsync([.. moving, .. orphans], cancellationToken);
        await DeleteIfPresentAsync(manifests, cancellationToken);
    }

    private async Task DeleteIfPresentAsync(IReadOnlyList<TableEntity> rows, CancellationToken cancellationToken)
    {
        var leftOver = new List<TableEntity>();
        foreach (var chunk in rows.Chunk(MaxTransactionOperations))
        {
            try
            {
                await SubmitAsync([.. chunk.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, r, ETag.All))], cancellationToken);
            }
            catch (TableTransactionFailedException ex) when (ex.Status == 404)
            {
                // Someone deleted one of them first: delete the rest one by one.
                leftOver.AddRange(chunk);
            }
        }

        foreach (var row in leftOver)
        {
            try
            {
                await _table.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken);
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
            }
        }
    }
}
