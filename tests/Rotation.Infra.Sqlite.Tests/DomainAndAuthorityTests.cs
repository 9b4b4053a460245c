using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;

namespace Rotation.Infra.Sqlite.Tests;

public sealed class DomainAndAuthorityTests : IDisposable
{
    private readonly StoreFixture _fixture = new();

    private SqliteStateStore Store => _fixture.Store;

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public async Task An_inserted_domain_reads_back_exactly_with_version_1()
    {
        await Store.CommitAsync(new ChangeSet { Domain = TestData.Domain() });

        var read = await Store.FindDomainAsync(TestData.DomainName);

        Assert.Equal(TestData.Domain() with { Version = 1 }, read);
        Assert.Equal(TestData.Now.Offset, read!.CreatedAt.Offset);
        Assert.Null(await Store.FindDomainAsync("other.example"));
    }

    [Fact]
    public async Task Domains_are_listed_by_name()
    {
        await Store.CommitAsync(new ChangeSet { Domain = TestData.Domain("b.example") });
        await Store.CommitAsync(new ChangeSet { Domain = TestData.Domain("a.example") });

        var names = (await Store.ListDomainsAsync()).Select(d => d.Name);

        Assert.Equal(["a.example", "b.example"], names);
    }

    [Fact]
    public async Task A_duplicate_domain_is_refused_with_what_to_do_and_changes_nothing()
    {
        await Store.CommitAsync(new ChangeSet { Domain = TestData.Domain() });

        var error = await Assert.ThrowsAsync<DomainException>(() =>
            Store.CommitAsync(new ChangeSet { Domain = TestData.Domain() with { KeyAlgorithm = KeyAlgorithm.Rsa2048 } }));

        Assert.Equal($"trust domain '{TestData.DomainName}' already exists: choose another name or use the existing one", error.Message);
        var stored = await Store.FindDomainAsync(TestData.DomainName);
        Assert.Equal(KeyAlgorithm.EcdsaP384, stored!.KeyAlgorithm);
        Assert.Equal(1, stored.Version);
    }

    [Fact]
    public async Task An_update_at_the_stored_version_bumps_it_and_a_stale_one_conflicts()
    {
        await Store.CommitAsync(new ChangeSet { Domain = TestData.Domain() });
        var v1 = (await Store.FindDomainAsync(TestData.DomainName))!;

        await Store.CommitAsync(new ChangeSet { Domain = v1 with { KeyAlgorithm = KeyAlgorithm.Rsa4096 } });
        var v2 = (await Store.FindDomainAsync(TestData.DomainName))!;
        var stale = await Assert.ThrowsAsync<ConcurrencyConflictException>(() =>
            Store.CommitAsync(new ChangeSet { Domain = v1 with { KeyAlgorithm = KeyAlgorithm.Rsa2048 } }));

        Assert.Equal(2, v2.Version);
        Assert.Equal(KeyAlgorithm.Rsa4096, v2.KeyAlgorithm);
        Assert.Equal($"trust domain '{TestData.DomainName}' was changed by someone else (stored version 2, yours 1): re-read it and retry", stale.Message);
        Assert.Equal(KeyAlgorithm.Rsa4096, (await Store.FindDomainAsync(TestData.DomainName))!.KeyAlgorithm);
    }

    [Fact]
    public async Task Updating_something_that_is_not_there_is_a_conflict()
    {
        var error = await Assert.ThrowsAsync<ConcurrencyConflictException>(() =>
            Store.CommitAsync(new ChangeSet { Domain = TestData.Domain() with { Version = 3 } }));

        Assert.Contains("trust domain 'mesh.example.internal' does not exist", error.Message);
    }

    [Fact]
    public async Task Authorities_round_trip_with_certificate_key_reference_and_version()
    {
        await Store.CommitAsync(new ChangeSet { Domain = TestData.Domain(), Authorities = [TestData.Root(), TestData.Intermediate()] });

        var authorities = await Store.ListAuthoritiesAsync(TestData.DomainName);

        Assert.Equal(["root-1", "intermediate-1"], authorities.Select(a => a.Id));
        var root = authorities[0];
        var intermediate = authorities[1];
        Assert.Equal(TestData.Root() with { Version = 1 }, root);
        Assert.Equal(TestData.Intermediate() with { Version = 1 }, intermediate);
        Assert.Equal(TestData.RootCertificate.Sha256, root.Certificate.Sha256);
        Assert.Equal(CaRole.Intermediate, intermediate.Role);
        Assert.Equal(CaStatus.Prepared, intermediate.Status);
        Assert.Equal("root-1", intermediate.ParentId);
        Assert.Null(root.ParentId);
        Assert.Equal(new KeyReference("local", "intermediate-1"), intermediate.Key);
        Assert.Equal(1, intermediate.Version);
        Assert.Empty(await Store.ListAuthoritiesAsync("other.example"));
    }

    [Fact]
    public async Task An_authority_status_change_is_versioned()
    {
        await Store.CommitAsync(new ChangeSet { Domain = TestData.Domain(), Authorities = [TestData.Intermediate()] });
        var prepared = (await Store.ListAuthoritiesAsync(TestData.DomainName)).Single();

        await Store.CommitAsync(new ChangeSet { Authorities = [prepared.WithStatus(CaStatus.Active)] });
        var conflict = await Assert.ThrowsAsync<ConcurrencyConflictException>(() =>
            Store.CommitAsync(new ChangeSet { Authorities = [prepared.WithStatus(CaStatus.Retired)] }));

        var active = (await Store.ListAuthoritiesAsync(TestData.DomainName)).Single();
        Assert.Equal(CaStatus.Active, active.Status);
        Assert.Equal(2, active.Version);
        Assert.Contains("CA 'intermediate-1' was changed by someone else", conflict.Message);
    }

    [Fact]
    public async Task A_duplicate_authority_is_refused()
    {
        await Store.CommitAsync(new ChangeSet { Domain = TestData.Domain(), Authorities = [TestData.Root()] });

        var error = await Assert.ThrowsAsync<DomainException>(() => Store.CommitAsync(new ChangeSet { Authorities = [TestData.Root()] }));

        Assert.StartsWith("CA 'root-1' already exists in trust domain 'mesh.example.internal'", error.Message);
    }

    [Fact]
    public async Task An_authority_of_an_unknown_domain_is_refused_with_what_to_do()
    {
        var error = await Assert.ThrowsAsync<DomainException>(() =>
            Store.CommitAsync(new ChangeSet { Authorities = [TestData.Root("nowhere.example")] }));

        Assert.Equal("trust domain 'nowhere.example' does not exist: create it with 'rotation init' first", error.Message);
        Assert.Equal(0, _fixture.Scalar("SELECT COUNT(*) FROM authorities"));
    }

    [Fact]
    public async Task Certificates_are_stored_as_pem()
    {
        await Store.CommitAsync(new ChangeSet { Domain = TestData.Domain(), Authorities = [TestData.Root()] });

        using var connection = _fixture.OpenRaw();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT certificate_pem FROM authorities";
        var pem = (string)command.ExecuteScalar()!;

        Assert.StartsWith("-----BEGIN CERTIFICATE-----", pem);
        Assert.Equal(TestData.RootCertificate, Certificate.FromPem(pem));
    }
}
