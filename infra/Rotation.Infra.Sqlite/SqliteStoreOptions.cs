namespace Rotation.Infra.Sqlite;

/// <summary>Where the embedded state store lives and how long a writer waits for another process's lock.</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>The SQLite file, normally &lt;home&gt;/rotation.db. Its directory is created when missing.</summary>
    public string DatabasePath { get; set; } = string.Empty;

    /// <summary>How long a command waits for a lock held by another process (the CLI and a resume share the file).</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(15);
}
