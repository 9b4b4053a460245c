using Microsoft.Data.Sqlite;
using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;

namespace Rotation.Infra.Sqlite;

/// <summary>
/// The embedded state store: one SQLite file in WAL mode, shared safely by several processes (a CLI command and a
/// resume). The schema is created or upgraded on first use. Every commit is one BEGIN IMMEDIATE transaction.
/// </summary>
public sealed class SqliteStateStore : IStateStore
{
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;

    private readonly string _connectionString;
    private readonly bool _readOnly;
    private readonly int _busyTimeoutMilliseconds;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _schemaGate = new();
    private Task? _schemaReady;

    public SqliteStateStore(SqliteStoreOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.DatabasePath))
        {
            throw new ArgumentException("the state store needs a database path: set SqliteStoreOptions.DatabasePath (normally <home>/rotation.db)", nameof(options));
        }

        DatabasePath = Path.GetFullPath(options.DatabasePath);
        _busyTimeoutMilliseconds = (int)Math.Clamp(options.BusyTimeout.TotalMilliseconds, 0, int.MaxValue);
        _timeProvider = timeProvider ?? TimeProvider.System;
        _readOnly = options.ReadOnly;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            ForeignKeys = true,
            // Normally each operation opens its own connection, so no file handle outlives it (SqliteStoreOptions.Pooling).
            Pooling = options.Pooling && !options.ReadOnly,
            // Microsoft.Data.Sqlite retries a busy statement for this long on top of SQLite's own busy_timeout wait.
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(options.BusyTimeout.TotalSeconds)),
        }.ToString();
    }

    public string DatabasePath { get; }

    /// <summary>
    /// Closes the connections this store's pool keeps open (with <see cref="SqliteStoreOptions.Pooling"/>): the last one
    /// checkpoints the WAL into the database file. Later operations open new connections. A no-op without pooling.
    /// </summary>
    public void ReleaseConnections()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    public async Task<TrustDomain?> FindDomainAsync(string domain, CancellationToken cancellationToken = default) =>
        (await QueryAsync(
            $"SELECT {SqliteRows.DomainColumns} FROM domains WHERE name = $name",
            SqliteRows.Domain,
            cancellationToken,
            ("$name", domain))).SingleOrDefault();

    public Task<IReadOnlyList<TrustDomain>> ListDomainsAsync(CancellationToken cancellationToken = default) =>
        QueryAsync($"SELECT {SqliteRows.DomainColumns} FROM domains ORDER BY name", SqliteRows.Domain, cancellationToken);

    /// <summary>In the order they were created.</summary>
    public Task<IReadOnlyList<CertificateAuthority>> ListAuthoritiesAsync(string domain, CancellationToken cancellationToken = default) =>
        QueryAsync(
            $"SELECT {SqliteRows.AuthorityColumns} FROM authorities WHERE domain = $domain ORDER BY rowid",
            SqliteRows.Authority,
            cancellationToken,
            ("$domain", domain));

    public Task<IReadOnlyList<ClusterRegistration>> ListClustersAsync(string? domain = null, CancellationToken cancellationToken = default) =>
        QueryAsync(
            $"SELECT {SqliteRows.ClusterColumns} FROM clusters WHERE $domain IS NULL OR domain = $domain ORDER BY name",
            SqliteRows.Cluster,
            cancellationToken,
            ("$domain", domain));

    public async Task<RotationRecord?> FindRotationAsync(string rotationId, CancellationToken cancellationToken = default) =>
        (await QueryAsync(
            $"SELECT {SqliteRows.RotationColumns} FROM rotations WHERE id = $id",
            SqliteRows.Rotation,
            cancellationToken,
            ("$id", rotationId))).SingleOrDefault();

    /// <summary>Oldest first.</summary>
    public Task<IReadOnlyList<RotationRecord>> ListRotationsAsync(string? domain = null, CancellationToken cancellationToken = default) =>
        QueryAsync(
            $"SELECT {SqliteRows.RotationColumns} FROM rotations WHERE $domain IS NULL OR domain = $domain ORDER BY created_at, id",
            SqliteRows.Rotation,
            cancellationToken,
            ("$domain", domain));

    public Task<IReadOnlyList<IssuedLeaf>> ListIssuedLeavesAsync(string domain, CancellationToken cancellationToken = default) =>
        QueryAsync(
            $"SELECT {SqliteRows.IssuedLeafColumns} FROM issued_leaves WHERE domain = $domain ORDER BY serial",
            SqliteRows.IssuedLeaf,
            cancellationToken,
            ("$domain", domain));

    public Task<IReadOnlyList<OutboxEntry>> ReadOutboxAsync(bool unpublishedOnly = false, int max = int.MaxValue, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        return QueryAsync(
            unpublishedOnly
                ? $"SELECT {SqliteRows.OutboxColumns} FROM outbox WHERE published_at IS NULL AND parked_at IS NULL ORDER BY seq LIMIT $max"
                : $"SELECT {SqliteRows.OutboxColumns} FROM outbox ORDER BY seq LIMIT $max",
            SqliteRows.Outbox,
            cancellationToken,
            ("$max", max));
    }

    public Task MarkPublishedAsync(IReadOnlyCollection<string> eventIds, DateTimeOffset publishedAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventIds);
        return eventIds.Count == 0
            ? Task.CompletedTask
            : ExplainBusyAsync(() => MarkPublishedCoreAsync(eventIds, publishedAt, cancellationToken));
    }

    private Task<bool> MarkPublishedCoreAsync(IReadOnlyCollection<string> eventIds, DateTimeOffset publishedAt, CancellationToken cancellationToken) =>
        UpdateOutboxAsync(
            "UPDATE outbox SET published_at = $publishedAt WHERE id = $id AND published_at IS NULL",
            eventIds,
            [("$publishedAt", StoredTime.Format(publishedAt))],
            cancellationToken);

    public Task RecordDeliveryFailureAsync(IReadOnlyCollection<string> eventIds, string error, DateTimeOffset at, int parkAfterAttempts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventIds);
        ArgumentNullException.ThrowIfNull(error);
        ArgumentOutOfRangeException.ThrowIfLessThan(parkAfterAttempts, 1);
        return eventIds.Count == 0
            ? Task.CompletedTask
            : ExplainBusyAsync(() => UpdateOutboxAsync(
                """
                UPDATE outbox SET attempts = attempts + 1, last_error = $error, last_attempt_at = $at,
                    parked_at = CASE WHEN attempts + 1 >= $parkAfter THEN COALESCE(parked_at, $at) ELSE parked_at END
                WHERE id = $id AND published_at IS NULL
                """,
                eventIds,
                [("$error", OneLine(error)), ("$at", StoredTime.Format(at)), ("$parkAfter", parkAfterAttempts)],
                cancellationToken));
    }

    public Task RequeueAsync(IReadOnlyCollection<string> eventIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventIds);
        return eventIds.Count == 0
            ? Task.CompletedTask
            : ExplainBusyAsync(() => UpdateOutboxAsync(
                "UPDATE outbox SET attempts = 0, parked_at = NULL WHERE id = $id AND published_at IS NULL AND parked_at IS NOT NULL",
                eventIds,
                [],
                cancellationToken));
    }

    internal static string OneLine(string error) => string.Join(' ', error.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();

    private async Task<bool> UpdateOutboxAsync(
        string sql,
        IReadOnlyCollection<string> eventIds,
        (string Name, object Value)[] parameters,
        CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        using var transaction = connection.BeginTransaction(deferred: false);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        var id = command.Parameters.Add("$id", SqliteType.Text);
        foreach (var eventId in eventIds)
        {
            id.Value = eventId;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public Task CommitAsync(ChangeSet changes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        return ExplainBusyAsync(() => CommitCoreAsync(changes, cancellationToken));
    }

    private async Task<bool> CommitCoreAsync(ChangeSet changes, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);

        // IMMEDIATE takes the write lock up front, so the checks below see every committed row and no other
        // process can slip a write in between them and our writes.
        using var transaction = connection.BeginTransaction(deferred: false);
        var writer = new SqliteChangeWriter(connection, transaction);

        // Domain first: authorities, clusters and rotations reference it.
        if (changes.Domain is { } domain)
        {
            await writer.WriteDomainAsync(domain, cancellationToken);
        }

        foreach (var authority in changes.Authorities)
        {
            await writer.WriteAuthorityAsync(authority, cancellationToken);
        }

        foreach (var cluster in changes.Clusters)
        {
            await writer.WriteClusterAsync(cluster, cancellationToken);
        }

        foreach (var cluster in changes.RemovedClusters)
        {
            await writer.RemoveClusterAsync(cluster, cancellationToken);
        }

        if (changes.Rotation is { } rotation)
        {
            await writer.WriteRotationAsync(rotation, cancellationToken);
        }

        foreach (var leaf in changes.IssuedLeaves)
        {
            await writer.WriteIssuedLeafAsync(leaf, cancellationToken);
        }

        foreach (var cloudEvent in changes.Events)
        {
            await writer.AppendEventAsync(cloudEvent, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>The schema version of the file (migrating it first if needed).</summary>
    public Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken = default) =>
        ExplainBusyAsync(async () =>
        {
            await using var connection = await OpenAsync(cancellationToken);
            return await SqliteMigrations.ReadVersionAsync(connection, null, cancellationToken);
        });

    private Task<IReadOnlyList<T>> QueryAsync<T>(
        string sql,
        Func<SqliteDataReader, T> map,
        CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters) =>
        ExplainBusyAsync(() => QueryCoreAsync(sql, map, parameters, cancellationToken));

    private async Task<IReadOnlyList<T>> QueryCoreAsync<T>(
        string sql,
        Func<SqliteDataReader, T> map,
        (string Name, object? Value)[] parameters,
        CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var results = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            results.Add(map(reader));
        }

        return results;
    }

    // A lock held past the busy timeout means another process is mid-write; say so instead of "database is locked".
    private async Task<T> ExplainBusyAsync<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation();
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is SqliteBusy or SqliteLocked)
        {
            throw new DomainException(
                $"{DatabasePath} is locked by another rotation process: retry when it has finished",
                ex);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is ReadOnlyOpening.SqliteReadOnly || (_readOnly && ex.SqliteErrorCode is ReadOnlyOpening.SqliteCantOpen))
        {
            throw ReadOnlyOpening.Refusal(DatabasePath, ex);
        }
    }

    /// <summary>
    /// Proves the home can be written before a command that writes starts, so it refuses before it touches a cluster
    /// or the vault: takes the write lock (BEGIN IMMEDIATE) and rolls back, changing nothing. SQLite fails it with
    /// SQLITE_READONLY or SQLITE_CANTOPEN when the file or its directory cannot be written.
    /// </summary>
    public async Task EnsureWritableAsync(CancellationToken cancellationToken = default)
    {
        if (_readOnly)
            throw ReadOnlyOpening.Refusal(DatabasePath, new InvalidOperationException("the store was opened read-only"));
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            using var begin = connection.CreateCommand();
            begin.CommandText = "BEGIN IMMEDIATE; ROLLBACK;";
            await begin.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is ReadOnlyOpening.SqliteReadOnly or ReadOnlyOpening.SqliteCantOpen)
        {
            throw ReadOnlyOpening.Refusal(DatabasePath, ex);
        }
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync().WaitAsync(cancellationToken);
        return await OpenRawAsync(cancellationToken);
    }

    private async Task<SqliteConnection> OpenRawAsync(CancellationToken cancellationToken)
    {
        if (_readOnly)
            return await ReadOnlyOpening.OpenAsync(DatabasePath, ReadOnlyOpening.QueryOnly(DatabasePath), cancellationToken);
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            using var pragma = connection.CreateCommand();
            pragma.CommandText = $"PRAGMA busy_timeout = {_busyTimeoutMilliseconds};";
            await pragma.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    // One migration run per instance; a failed run (e.g. a locked file) is retried by the next call.
    private Task EnsureSchemaAsync()
    {
        lock (_schemaGate)
        {
            if (_schemaReady is null || _schemaReady.IsFaulted || _schemaReady.IsCanceled)
            {
                _schemaReady = MigrateAsync();
            }

            return _schemaReady;
        }
    }

    private async Task MigrateAsync()
    {
        if (_readOnly)
        {
            var version = await StoreIntegrity.CheckAsync(DatabasePath);
            if (version != SqliteMigrations.Latest)
                throw new DomainException($"{DatabasePath} has schema version {version} and this rotation reads version {SqliteMigrations.Latest}: run any command that writes on a writable copy of the home once to migrate it");
            return;
        }

        var directory = Path.GetDirectoryName(DatabasePath);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        // Never write to a file that is not a sound Rotation store: a 0-byte or damaged rotation.db would otherwise be
        // silently re-initialised (losing the record of which CAs exist) or written further into.
        if (File.Exists(DatabasePath) && await StoreIntegrity.CheckAsync(DatabasePath) is { } current && current == SqliteMigrations.Latest)
        {
            // Up to date: nothing to write, so a read-only home can still serve read-only commands.
            return;
        }

        await using var connection = await OpenRawAsync(CancellationToken.None);
        using (var wal = connection.CreateCommand())
        {
            // WAL lets readers run while a writer commits; the mode is stored in the file, so this is a no-op later.
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            await wal.ExecuteNonQueryAsync();
        }

        await SqliteMigrations.ApplyAsync(connection, SqliteMigrations.Latest, _timeProvider, CancellationToken.None);
    }
}
