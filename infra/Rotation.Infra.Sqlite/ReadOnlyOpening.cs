using Microsoft.Data.Sqlite;
using Rotation.Core.Domain;

namespace Rotation.Infra.Sqlite;

/// <summary>
/// Opening rotation.db without writing to its home. A WAL database opened read-only still needs its -shm and -wal
/// files, created beside it; in a directory that cannot be written they cannot be, and SQLite fails with
/// SQLITE_CANTOPEN. SQLite's answer (https://www.sqlite.org/wal.html, "Read-Only Databases"; since 3.22.0) is the
/// immutable=1 URI parameter: the file is read as it is, without locks or shared memory. That is only sound while
/// nobody writes the file, which holds here: the directory cannot be written, so no Rotation process can commit.
/// </summary>
internal static class ReadOnlyOpening
{
    public const int SqliteReadOnly = 8;
    public const int SqliteCantOpen = 14;

    /// <summary>Microsoft.Data.Sqlite opens with SQLITE_OPEN_URI, so a file: URI carries SQLite's own parameters.</summary>
    public static string Immutable(string path) =>
        new SqliteConnectionStringBuilder { DataSource = new Uri(path).AbsoluteUri + "?immutable=1", Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();

    /// <summary>
    /// Opens with <paramref name="preferred"/> and reads the schema once; falls back to immutable when the file or the
    /// -shm file cannot be opened (SQLITE_CANTOPEN) or written (SQLITE_READONLY). A preferred read-write connection
    /// is what removes -wal and -shm again when it closes, so a read on a writable home leaves the home as it was.
    /// </summary>
    public static async Task<SqliteConnection> OpenAsync(string path, string preferred, CancellationToken cancellationToken)
    {
        try
        {
            return await OpenProbedAsync(preferred, cancellationToken);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is SqliteCantOpen or SqliteReadOnly)
        {
            return await OpenProbedAsync(Immutable(path), cancellationToken);
        }
    }

    /// <summary>For reads only: writes on it fail with SQLITE_READONLY (PRAGMA query_only).</summary>
    public static string QueryOnly(string path) =>
        new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString();

    /// <summary>The refusal of a write to a home that cannot be written.</summary>
    public static DomainException Refusal(string databasePath, Exception inner) => new(
        $"the home {Path.GetDirectoryName(databasePath)} is read-only ({Path.GetFileName(databasePath)} or its directory cannot be written): "
        + "nothing was changed; run this command where the home is writable (read-only commands such as inventory, status, leaf list, cluster list and export work here)",
        inner);

    private static async Task<SqliteConnection> OpenProbedAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            using var probe = connection.CreateCommand();
            probe.CommandText = "PRAGMA query_only = ON; SELECT count(*) FROM sqlite_master;";
            await probe.ExecuteScalarAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
