using Microsoft.Data.Sqlite;
using Rotation.Core.Domain;
using Rotation.Core.Ports;

namespace Rotation.Infra.Sqlite.Tests;

public sealed class SchemaMigrationTests : IDisposable
{
    private readonly StoreFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public async Task A_fresh_file_gets_every_migration_once_and_wal_mode()
    {
        Assert.Empty(await _fixture.Store.ListDomainsAsync());

        Assert.True(File.Exists(_fixture.DatabasePath));
        Assert.Equal(SqliteMigrations.Latest, await _fixture.Store.GetSchemaVersionAsync());
        Assert.Equal(SqliteMigrations.All.Count, _fixture.Scalar("SELECT COUNT(*) FROM schema_version"));
        using var connection = _fixture.OpenRaw();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", command.ExecuteScalar() as string);
    }

    [Fact]
    public async Task Reopening_applies_nothing_again()
    {
        await _fixture.Store.ListDomainsAsync();
        var second = _fixture.Open();
        await second.ListDomainsAsync();
        await _fixture.Open().ListRotationsAsync();

        Assert.Equal(SqliteMigrations.All.Count, _fixture.Scalar("SELECT COUNT(*) FROM schema_version"));
    }

    [Fact]
    public async Task Two_stores_creating_the_same_file_at_once_both_succeed()
    {
        var stores = Enumerable.Range(0, 4).Select(_ => _fixture.Open()).ToList();

        await Task.WhenAll(stores.Select(s => Task.Run(() => s.ListDomainsAsync())));

        Assert.Equal(SqliteMigrations.All.Count, _fixture.Scalar("SELECT COUNT(*) FROM schema_version"));
    }

    [Fact]
    public async Task A_version_1_file_is_upgraded_and_keeps_its_rows()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_fixture.DatabasePath)!);
        using (var connection = _fixture.OpenRaw())
        {
            Assert.Equal(1, await SqliteMigrations.ApplyAsync(connection, 1, TimeProvider.System, CancellationToken.None));
        }

        _fixture.Execute("""
            INSERT INTO domains (name, created_at, key_algorithm, version)
            VALUES ('old.example', '2025-01-02T03:04:05.0000000+00:00', 'rsa-3072', 4)
            """);
        Assert.Equal(1, _fixture.Scalar("SELECT MAX(version) FROM schema_version"));

        var store = _fixture.Open();
        var domain = await store.FindDomainAsync("old.example");

        Assert.NotNull(domain);
        Assert.Equal(4, domain.Version);
        Assert.Equal(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero), domain.CreatedAt);
        Assert.Equal(SqliteMigrations.Latest, await store.GetSchemaVersionAsync());
        // Version 2 brought the one-active-rotation index: the upgraded file enforces it.
        await store.CommitAsync(new ChangeSet { Rotation = TestData.Rotation("r1", "old.example") });
        var second = await Assert.ThrowsAsync<DomainException>(() => store.CommitAsync(new ChangeSet { Rotation = TestData.Rotation("r2", "old.example") }));
        Assert.Contains("already has an active rotation 'r1'", second.Message);
    }

    [Fact]
    public async Task A_version_3_home_from_before_issued_leaves_is_upgraded_and_records_leaves()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_fixture.DatabasePath)!);
        using (var connection = _fixture.OpenRaw())
        {
            Assert.Equal(3, await SqliteMigrations.ApplyAsync(connection, 3, TimeProvider.System, CancellationToken.None));
        }

        _fixture.Execute("""
            INSERT INTO domains (name, created_at, key_algorithm, version)
            VALUES ('old.example', '2025-01-02T03:04:05.0000000+00:00', 'rsa-3072', 2)
            """);
        Assert.Equal(0, _fixture.Scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'issued_leaves'"));

        var store = _fixture.Open();
        Assert.Empty(await store.ListIssuedLeavesAsync("old.example"));
        await store.CommitAsync(new ChangeSet { IssuedLeaves = [Rotation.Testing.StateStores.StoreSamples.Leaf("0a", "old.example")] });

        Assert.Equal(SqliteMigrations.Latest, await store.GetSchemaVersionAsync());
        Assert.Equal(2, (await store.FindDomainAsync("old.example"))!.Version);
        Assert.Equal(["0a"], (await store.ListIssuedLeavesAsync("old.example")).Select(l => l.Serial));
        Assert.Equal(1, _fixture.Scalar("SELECT COUNT(*) FROM schema_version WHERE version = 4 AND description = 'leaves issued by rotation issue-leaf'"));
    }

    [Fact]
    public async Task A_version_4_home_from_before_key_versions_is_upgraded_its_references_stay_current_version_and_new_ones_keep_theirs()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_fixture.DatabasePath)!);
        using (var connection = _fixture.OpenRaw())
        {
            Assert.Equal(4, await SqliteMigrations.ApplyAsync(connection, 4, TimeProvider.System, CancellationToken.None));
        }

        // What a build before custody wrote: provider and name only.
        var root = Rotation.Testing.StateStores.StoreSamples.Root("old.example");
        _fixture.Execute($"""
            INSERT INTO domains (name, created_at, key_algorithm, version)
            VALUES ('old.example', '2025-01-02T03:04:05.0000000+00:00', 'ecdsa-p256', 1);
            INSERT INTO authorities (id, domain, role, status, parent_id, certificate_pem, key_provider, key_name, version)
            VALUES ('root-1', 'old.example', 'root', 'active', NULL, '{root.Certificate.ToPem()}', 'local', 'old.example-root-1', 3);
            """);
        Assert.Equal(0, _fixture.Scalar("SELECT COUNT(*) FROM pragma_table_info('authorities') WHERE name = 'key_version'"));

        var store = _fixture.Open();
        var old = (await store.ListAuthoritiesAsync("old.example")).Single();

        Assert.Equal(SqliteMigrations.Latest, await store.GetSchemaVersionAsync());
        Assert.Equal(new KeyReference("local", "old.example-root-1"), old.Key);
        Assert.Equal(3, old.Version);
        await store.CommitAsync(new ChangeSet
        {
            Authorities = [old.WithStatus(CaStatus.Retiring), Rotation.Testing.StateStores.StoreSamples.Intermediate("old.example") with { Key = new KeyReference("local", "old.example-int-g2", "2") }],
        });
        var after = await store.ListAuthoritiesAsync("old.example");
        Assert.Null(after[0].Key.Version);
        Assert.Equal("2", after[1].Key.Version);
        Assert.Equal(1, _fixture.Scalar("SELECT COUNT(*) FROM schema_version WHERE version = 5"));
    }

    [Fact]
    public async Task A_file_from_a_newer_build_is_refused_and_left_alone()
    {
        await _fixture.Store.ListDomainsAsync();
        _fixture.Execute("INSERT INTO schema_version (version, description, applied_at) VALUES (99, 'from the future', '2030-01-01T00:00:00.0000000+00:00')");

        var store = _fixture.Open();
        var error = await Assert.ThrowsAsync<DomainException>(() => store.ListDomainsAsync());

        Assert.Equal($"rotation.db schema version 99 is newer than this rotation build supports ({SqliteMigrations.Latest}): upgrade rotation", error.Message);
        await Assert.ThrowsAsync<DomainException>(() => store.CommitAsync(new ChangeSet { Domain = TestData.Domain() }));
        Assert.Equal(0, _fixture.Scalar("SELECT COUNT(*) FROM domains"));
        Assert.Equal(99, _fixture.Scalar("SELECT MAX(version) FROM schema_version"));
    }

    [Fact]
    public async Task The_store_enforces_one_active_rotation_per_domain_even_against_raw_writes()
    {
        await _fixture.Store.CommitAsync(new ChangeSet { Domain = TestData.Domain(), Rotation = TestData.Rotation("r1") });

        var error = Assert.Throws<SqliteException>(() => _fixture.Execute(
            $"INSERT INTO rotations (id, domain, status, active, json, version, created_at) VALUES ('r2', '{TestData.DomainName}', 'running', 1, '{{}}', 1, 'x')"));

        Assert.Contains("UNIQUE", error.Message);
        // A finished rotation is not active, so it does not collide.
        _fixture.Execute($"INSERT INTO rotations (id, domain, status, active, json, version, created_at) VALUES ('r0', '{TestData.DomainName}', 'completed', 0, '{{}}', 1, 'x')");
        Assert.Equal(2, _fixture.Scalar("SELECT COUNT(*) FROM rotations"));
    }

    [Fact]
    public void A_store_without_a_path_is_refused_with_what_to_set()
    {
        var error = Assert.Throws<ArgumentException>(() => new SqliteStateStore(new SqliteStoreOptions()));

        Assert.Contains("SqliteStoreOptions.DatabasePath", error.Message);
    }
}
