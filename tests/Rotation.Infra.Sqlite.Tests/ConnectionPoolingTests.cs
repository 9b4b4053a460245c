using Rotation.Core.Ports;

namespace Rotation.Infra.Sqlite.Tests;

/// <summary>
/// Pooling is opt-in (SqliteStoreOptions.Pooling, issue 10 §2): the drill keeps its connections open between
/// operations; every other store closes its file after each one, so rotation.db alone holds every commit.
/// </summary>
public sealed class ConnectionPoolingTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private string DatabasePath => _directory.Combine("home", "rotation.db");

    private SqliteStateStore Open(bool pooling) => new(new SqliteStoreOptions { DatabasePath = DatabasePath, Pooling = pooling });

    [Fact]
    public async Task Without_pooling_every_operation_leaves_rotation_db_complete_on_its_own()
    {
        var store = Open(pooling: false);
        await store.CommitAsync(new ChangeSet { Domain = TestData.Domain() });

        // The last connection closed, so SQLite checkpointed the WAL into the file and removed it.
        Assert.False(File.Exists(DatabasePath + "-wal"));
        Assert.NotNull(await CopyOfDatabaseFileOnly().FindDomainAsync(TestData.DomainName));
    }

    [Fact]
    public async Task With_pooling_connections_stay_open_between_operations_and_release_completes_the_file()
    {
        var store = Open(pooling: true);
        try
        {
            await store.CommitAsync(new ChangeSet { Domain = TestData.Domain() });
            await store.CommitAsync(new ChangeSet { Domain = TestData.Domain("b.example") });

            // A pooled connection is still open: the WAL is still there (it is removed when the last one closes).
            Assert.True(File.Exists(DatabasePath + "-wal"));
            Assert.Equal(2, (await Open(pooling: false).ListDomainsAsync()).Count);
        }
        finally
        {
            store.ReleaseConnections();
        }

        Assert.False(File.Exists(DatabasePath + "-wal"));
        Assert.Equal(2, (await CopyOfDatabaseFileOnly().ListDomainsAsync()).Count);
    }

    private SqliteStateStore CopyOfDatabaseFileOnly()
    {
        var copy = _directory.Combine("backup", "rotation.db");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        File.Copy(DatabasePath, copy, overwrite: true);
        return new SqliteStateStore(new SqliteStoreOptions { DatabasePath = copy });
    }

    public void Dispose() => _directory.Dispose();
}
