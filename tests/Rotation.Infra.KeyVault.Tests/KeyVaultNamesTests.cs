using Azure;
using Azure.Security.KeyVault.Certificates;
using Rotation.Core.Authorities;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Infra.KeyVault.Simulator;

namespace Rotation.Infra.KeyVault.Tests;

/// <summary>
/// Rotation key names (dots of the trust domain, up to 200 characters) against Key Vault object names (1-127 of
/// 0-9, a-z, A-Z, '-', case-insensitive): the test server refuses what the service refuses, and the custody maps every
/// Rotation name to a valid, distinct vault name that never changes.
/// </summary>
public sealed class KeyVaultNamesTests : IAsyncLifetime
{
    private KeyVaultFixture _fixture = null!;

    public async Task InitializeAsync() => _fixture = await KeyVaultFixture.StartAsync();

    public async Task DisposeAsync() => await _fixture.DisposeAsync();

    [Fact]
    public async Task The_test_server_refuses_a_dotted_name_as_the_service_does()
    {
        var client = new CertificateClient(_fixture.Vault.VaultUri, _fixture.Credential, ClientOptions());

        var error = await Assert.ThrowsAsync<RequestFailedException>(() =>
            client.StartCreateCertificateAsync("mesh.example.internal-root-init", CertificatePolicy.Default));

        Assert.Equal(400, error.Status);
        Assert.Equal("BadParameter", error.ErrorCode);
        Assert.Contains("The request URI contains an invalid name: mesh.example.internal-root-init", error.Message, StringComparison.Ordinal);
        var tooLong = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetCertificateAsync(new string('a', 128)));
        Assert.Equal("BadParameter", tooLong.ErrorCode);
        Assert.Empty(_fixture.Vault.Versions("mesh.example.internal-root-init"));
    }

    [Theory]
    [InlineData("mesh-root-init")]
    [InlineData("mesh-int-20261201120000-c0ffee")]
    [InlineData("a")]
    [InlineData("0")]
    public void A_plain_name_is_its_own_vault_name(string name) => Assert.Equal(name, KeyVaultNames.For(name));

    [Fact]
    public void The_mapping_is_pinned_so_references_made_today_resolve_in_every_later_version()
    {
        // The expected value is the documented rule computed outside .NET:
        // python3 -c "import hashlib; print(hashlib.sha256(b'mesh.example.internal-root-init').hexdigest()[:32])"
        Assert.Equal("mesh-example-internal-root-init--57cfc9ff88537a997cb01e4bc0964b05", KeyVaultNames.For("mesh.example.internal-root-init"));
        Assert.Equal("mesh-root-init", KeyVaultNames.For("mesh-root-init"));
    }

    [Theory]
    [InlineData("a.b", "a-b")]
    [InlineData("a-b.c", "a.b-c")]
    [InlineData("Mesh-root", "mesh-root")]
    [InlineData("a_b", "a.b")]
    [InlineData("a--b", "a-b")]
    public void Different_rotation_names_never_share_a_vault_name_even_ignoring_case(string one, string other) =>
        Assert.NotEqual(KeyVaultNames.For(one), KeyVaultNames.For(other), StringComparer.OrdinalIgnoreCase);

    [Fact]
    public void Every_name_rotation_makes_is_a_valid_vault_name_within_127_characters()
    {
        var longest = new string('d', 63) + "." + new string('e', 63) + "." + new string('f', 63) + "-root-20261201120000-c0ffee";
        string[] names = ["mesh.example.internal-root-init", "x_y", "UPPER.case", longest, new string('a', 200), longest[..^1] + "f"];

        var mapped = names.Select(KeyVaultNames.For).ToList();

        Assert.All(mapped, m => Assert.True(KeyVaultObjectNames.IsValid(m), m));
        Assert.Equal(names.Length, mapped.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.StartsWith("mesh-example-internal-root-init--", mapped[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_named_after_a_dotted_trust_domain_live_in_the_vault_under_their_mapped_names_and_keep_their_rotation_names()
    {
        var custody = _fixture.Custody();
        var dotted = KeyVaultCustodyTests.Root("mesh.example.internal-root-init");
        var dashed = KeyVaultCustodyTests.Root("mesh-example-internal-root-init");

        var one = await CustodyAuthorities.CreateRootAsync(custody, dotted, KeyVaultCustodyTests.RootCa, default);
        var two = await CustodyAuthorities.CreateRootAsync(custody, dashed, KeyVaultCustodyTests.RootCa, default);

        Assert.Equal("mesh.example.internal-root-init", one.Reference.Name);
        Assert.Equal(2, _fixture.Vault.Versions(KeyVaultNames.For(dotted.Name)).Count);
        Assert.Equal(2, _fixture.Vault.Versions("mesh-example-internal-root-init").Count);
        Assert.NotEqual(one.Certificate, two.Certificate);
        Assert.Equal(one.Certificate, (await _fixture.Custody().GetKeyAsync(one.Reference)).Certificate);
        Assert.Equal("mesh.example.internal-root-init", _fixture.Vault.Versions(KeyVaultNames.For(dotted.Name))[^1].Tags["rotation-key-name"]);
        // No request ever carried a name the service would refuse.
        Assert.DoesNotContain(_fixture.Vault.Exchanges, e => e.Status == 400);
    }

    [Fact]
    public async Task A_vault_name_holding_another_rotation_key_is_refused_instead_of_shared()
    {
        var custody = _fixture.Custody();
        var root = await CustodyAuthorities.CreateRootAsync(custody, KeyVaultCustodyTests.Root("mesh.a"), KeyVaultCustodyTests.RootCa, default);
        // What a hash collision would look like: the certificate under mesh.a's vault name says it holds another key.
        foreach (var version in _fixture.Vault.Versions(KeyVaultNames.For("mesh.a")))
        {
            version.Tags["rotation-key-name"] = "mesh.b";
        }

        var create = await Assert.ThrowsAsync<PkiException>(() => custody.CreateKeyAsync(KeyVaultCustodyTests.Root("mesh.a", op: "rot-2")));
        var sign = await Assert.ThrowsAsync<PkiException>(() => custody.SignAsync(root.Reference, new byte[] { 1, 2, 3 }));

        Assert.Contains("belongs to Rotation key 'mesh.b'", create.Message, StringComparison.Ordinal);
        Assert.Contains("belongs to Rotation key 'mesh.b'", sign.Message, StringComparison.Ordinal);
        Assert.Equal(2, _fixture.Vault.Versions(KeyVaultNames.For("mesh.a")).Count);
    }

    private CertificateClientOptions ClientOptions()
    {
        var options = new CertificateClientOptions(CertificateClientOptions.ServiceVersion.V7_5);
        options.Transport = new Azure.Core.Pipeline.HttpClientTransport(new HttpClient(_fixture.Vault.CreateHandler()));
        options.Retry.MaxRetries = 0;
        return options;
    }
}
