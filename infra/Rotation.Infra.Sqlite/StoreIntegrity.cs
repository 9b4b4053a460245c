using Microsoft.Data.Sqlite;
using Rotation.Core.Domain;

namespace Rotation.Infra.Sqlite;

/// <summary>
/// Checks an existing rotation.db before anything writes to it: not empty, readable by SQLite, PRAGMA quick_check
/// clean, and holding Rotation's tables. Refuses with how to recover; opens the file read-only to do so.
/// </summary>
internal static class StoreIntegrity
{
    private static readonly string[] RequiredTables = ["schema_version", "domains", "authorities", "clusters", "rotations", "outbox"];

    /// <summary>How long an empty or table-less file may be another store creating it at this moment, before it counts as damaged.</summary>
    private static readonly TimeSpan CreationGrace = TimeSpan.FromSeconds(2);

    /// <summary>The file's schema version when it is sound; throws <see cref="DomainException"/> otherwise.</summary>
    public static async Task<int> CheckAsync(string path)
    {
        var deadline = DateTime.UtcNow + CreationGrace;
        while (true)
        {
            try
            {
                return await CheckOnceAsync(path);
            }
            catch (StillCreatingException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
            catch (StillCreatingException creating)
            {
                throw Damaged(path, creating.Message);
            }
        }
    }

    private static async Task<int> CheckOnceAsync(string path)
    {
        if (new FileInfo(path).Length == 0)
        {
            throw new StillCreatingException("it is empty (0 bytes)");
        }

        try
        {
            await using var connection = await ReadOnlyOpening.OpenAsync(path, new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString(), CancellationToken.None);
            using (var check = connection.CreateCommand())
            {
                check.CommandText = "PRAGMA quick_check;";
                var problems = new List<string>();
                await using var reader = await check.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    problems.Add(reader.GetString(0));
                }

                if (problems is not ["ok"])
                {
                    throw Damaged(path, $"PRAGMA quick_check reports: {string.Join("; ", problems.Take(3))}");
                }
            }

            var tables = new HashSet<string>(StringComparer.Ordinal);
            using (var list = connection.CreateCommand())
            {
                list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table';";
                await using var reader = await list.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    tables.Add(reader.GetString(0));
                }
            }

            var missing = RequiredTables.Where(t => !tables.Contains(t)).ToList();
            if (missing.Count > 0)
            {
                throw new StillCreatingException($"it is not a Rotation store (missing table(s) {string.Join(", ", missing)})");
            }

            return await SqliteMigrations.ReadVersionAsync(connection, null, CancellationToken.None);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 11 or 26)
        {
            // SQLITE_CORRUPT, SQLITE_NOTADB
            throw Damaged(path, $"SQLite cannot read it ({ex.Message.Split('\n')[0].TrimEnd('.')})");
        }
    }

    /// <summary>What a store being created by another process also looks like for a moment; retried before it is called damaged.</summary>
    private sealed class StillCreatingException(string message) : Exception(message);

    private static DomainException Damaged(string path, string what) => new(
        $"{path} is damaged: {what}; Rotation will neither read nor write it. Restore rotation.db and keys/ together from your backup "
        + "(docs/operations.md, 'Backup and restore'), keep the damaged file for analysis, and do not run 'rotation init' on this home until it is restored");
}
