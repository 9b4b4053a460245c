namespace Rotation.Infra.Sqlite;

/// <summary>Where the embedded state store lives and how long a writer waits for another process's lock.</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>The SQLite file, normally &lt;home&gt;/rotation.db. Its directory is created when missing.</summary>
    public string DatabasePath { get; set; } = string.Empty;

    /// <summary>How long a command waits for a lock held by another process (the CLI and a resume share the file).</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Open the file read-only and never migrate it: for commands that only read, so they run on a home that cannot
    /// be written (a read-only mount, a directory without write permission). Every write is refused.
    /// </summary>
    public bool ReadOnly { get; set; }

    /// <summary>
    /// Keep connections open between operations (Microsoft.Data.Sqlite's pool) instead of opening the file for each.
    /// Off by default: with pooling off the last connection of every operation checkpoints the WAL into rotation.db and
    /// removes rotation.db-wal, so after any command rotation.db alone holds every commit (a copy of it is a backup)
    /// and no file handle outlives the command. On for a process that owns the store for its whole run (the drill: some
    /// 70 opens and WAL checkpoints per rotation) and calls <see cref="SqliteStateStore.ReleaseConnections"/> when done.
    /// </summary>
    public bool Pooling { get; set; }
}
