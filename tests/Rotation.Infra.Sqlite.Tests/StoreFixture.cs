using Microsoft.Data.Sqlite;

namespace Rotation.Infra.Sqlite.Tests;

/// <summary>A real rotation.db in a temp directory, with a way to open more stores (other "processes") on it.</summary>
internal sealed class StoreFixture : IDisposable
{
    private readonly TempDirectory _directory = new();

    public StoreFixture()
    {
        DatabasePath = _directory.Combine("home", "rotation.db");
        Store = Open();
    }

    public string DatabasePath { get; }

    public SqliteStateStore Store { get; }

    public SqliteStateStore Open() => new(new SqliteStoreOptions { DatabasePath = DatabasePath });

    /// <summary>A plain connection, bypassing the store, for checking what is really in the file.</summary>
    public SqliteConnection OpenRaw()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    public long Scalar(string sql)
    {
        using var connection = OpenRaw();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Execute(string sql)
    {
        using var connection = OpenRaw();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose() => _directory.Dispose();
}
