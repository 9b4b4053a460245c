using Microsoft.Data.Sqlite;
using Rotation.Core.Domain;

namespace Rotation.Infra.Sqlite;

/// <summary>
/// The schema history of rotation.db. New versions append to <see cref="All"/>; released entries never change,
/// so a file written by any earlier build upgrades by applying the ones it lacks.
/// </summary>
internal static class SqliteMigrations
{
    public static IReadOnlyList<SqliteMigration> All { get; } =
    [
        new(1, "domains, authorities, clusters, rotations, outbox", """
            CREATE TABLE domains (
                name TEXT NOT NULL PRIMARY KEY,
                created_at TEXT NOT NULL,
                key_algorithm TEXT NOT NULL,
                version INTEGER NOT NULL
            );
            CREATE TABLE authorities (
                id TEXT NOT NULL PRIMARY KEY,
                domain TEXT NOT NULL REFERENCES domains(name),
                role TEXT NOT NULL,
                status TEXT NOT NULL,
                parent_id TEXT NULL,
                certificate_pem TEXT NOT NULL,
                key_provider TEXT NOT NULL,
                key_name TEXT NOT NULL,
                version INTEGER NOT NULL
            );
            CREATE INDEX authorities_by_domain ON authorities(domain);
            CREATE TABLE clusters (
                name TEXT NOT NULL PRIMARY KEY,
                domain TEXT NOT NULL REFERENCES domains(name),
                json TEXT NOT NULL,
                version INTEGER NOT NULL
            );
            CREATE TABLE rotations (
                id TEXT NOT NULL PRIMARY KEY,
                domain TEXT NOT NULL REFERENCES domains(name),
                status TEXT NOT NULL,
                active INTEGER NOT NULL CHECK (active IN (0, 1)),
                json TEXT NOT NULL,
                version INTEGER NOT NULL,
                created_at TEXT NOT NULL
            );
            CREATE TABLE outbox (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL UNIQUE,
                type TEXT NOT NULL,
                subject TEXT NOT NULL,
                time TEXT NOT NULL,
                json TEXT NOT NULL,
                published_at TEXT NULL
            );
            """),
        new(2, "one active rotation per domain; unpublished outbox index", """
            CREATE UNIQUE INDEX rotations_one_active_per_domain ON rotations(domain) WHERE active = 1;
            CREATE INDEX outbox_unpublished ON outbox(seq) WHERE published_at IS NULL;
            """),
        new(3, "outbox delivery attempts, last error, parked rows", """
            ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE outbox ADD COLUMN last_error TEXT NULL;
            ALTER TABLE outbox ADD COLUMN last_attempt_at TEXT NULL;
            ALTER TABLE outbox ADD COLUMN parked_at TEXT NULL;
            DROP INDEX outbox_unpublished;
            CREATE INDEX outbox_pending ON outbox(seq) WHERE published_at IS NULL AND parked_at IS NULL;
            """),
        new(4, "leaves issued by rotation issue-leaf", """
            CREATE TABLE issued_leaves (
                domain TEXT NOT NULL REFERENCES domains(name),
                serial TEXT NOT NULL,
                issuer_id TEXT NOT NULL,
                not_after TEXT NOT NULL,
                json TEXT NOT NULL,
                version INTEGER NOT NULL,
                PRIMARY KEY (domain, serial)
            );
            """),
        // NULL for CAs recorded before custody: their key is the name's current version, as it always was.
        new(5, "key version of each CA's key reference", """
            ALTER TABLE authorities ADD COLUMN key_version TEXT NULL;
            """),
    ];

    public static int Latest => All[^1].Version;

    /// <summary>
    /// Brings the file up to <paramref name="targetVersion"/> and returns the version it is at. Safe against
    /// another process migrating at the same time: each step re-reads the version under the write lock.
    /// </summary>
    public static async Task<int> ApplyAsync(SqliteConnection connection, int targetVersion, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var current = 0;
        foreach (var migration in All.Where(m => m.Version <= targetVersion))
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            await ExecuteAsync(connection, transaction, """
                CREATE TABLE IF NOT EXISTS schema_version (
                    version INTEGER NOT NULL PRIMARY KEY,
                    description TEXT NOT NULL,
                    applied_at TEXT NOT NULL
                );
                """, cancellationToken);
            current = await ReadVersionAsync(connection, transaction, cancellationToken);
            RefuseNewer(connection, current);
            if (current >= migration.Version)
            {
                continue;
            }

            await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken);
            using var record = connection.CreateCommand();
            record.Transaction = transaction;
            record.CommandText = "INSERT INTO schema_version (version, description, applied_at) VALUES ($version, $description, $appliedAt)";
            record.Parameters.AddWithValue("$version", migration.Version);
            record.Parameters.AddWithValue("$description", migration.Description);
            record.Parameters.AddWithValue("$appliedAt", StoredTime.Format(timeProvider.GetUtcNow()));
            await record.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            current = migration.Version;
        }

        return current;
    }

    /// <summary>The file's schema version; 0 for a file with no schema yet.</summary>
    public static async Task<int> ReadVersionAsync(SqliteConnection connection, SqliteTransaction? transaction, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void RefuseNewer(SqliteConnection connection, int current)
    {
        if (current > Latest)
        {
            throw new DomainException(
                $"{Path.GetFileName(connection.DataSource)} schema version {current} is newer than this rotation build supports ({Latest}): upgrade rotation");
        }
    }

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
