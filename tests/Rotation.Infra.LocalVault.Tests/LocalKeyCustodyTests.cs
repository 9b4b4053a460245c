using Rotation.Core.Authorities;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;

namespace Rotation.Infra.LocalVault.Tests;

/// <summary>What is particular to the local custody: its files, and homes made before custody existed.</summary>
public sealed class LocalKeyCustodyTests : IDisposable
{
    private const string Passphrase = "correct horse battery staple";
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly VaultFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    private LocalKeyCustody Custody(string? passphrase = Passphrase) =>
        new(new LocalKeyVaultOptions { KeyDirectory = _fixture.KeyDirectory, Passphrase = passphrase });

    private static CustodyKeyRequest Root(string name, string op) => new(name, KeyAlgorithm.EcdsaP256, false, op, "mesh.example.internal", CaRole.Root);

    [Fact]
    public async Task A_home_made_by_the_key_vault_is_read_by_custody()
    {
        // Today's code: CaService stores the intermediate's key through LocalKeyVault (no custody record).
        var key = VaultFixture.NewKey();
        await _fixture.Open(Passphrase).StoreAsync("mesh-int-1", key);
        var custody = Custody();

        var read = await custody.GetKeyAsync(new KeyReference("local", "mesh-int-1"));
        var signature = await custody.SignAsync(read.Reference, new byte[] { 1, 2, 3 });
        var exported = await custody.ExportAsync(read.Reference);

        Assert.Equal(new KeyReference("local", "mesh-int-1", "1"), read.Reference);
        Assert.Equal(CustodyKeyState.Active, read.State);
        Assert.True(read.Exportable);
        Assert.Equal(PublicKey.Of(key), read.PublicKey);
        Assert.True(VaultFixture.SameKey(key, exported));
        Assert.NotEmpty(signature);
    }

    [Fact]
    public async Task A_new_operation_on_a_key_made_by_the_key_vault_becomes_version_2()
    {
        await _fixture.Open(Passphrase).StoreAsync("mesh-root-1", VaultFixture.NewKey());
        var custody = Custody();

        var v2 = await custody.CreateKeyAsync(Root("mesh-root-1", "rot-1"));

        Assert.Equal("2", v2.Reference.Version);
        Assert.True(File.Exists(Path.Combine(_fixture.KeyDirectory, "mesh-root-1+2.key.pem")));
        // Version 1, the file the old code reads, is untouched.
        Assert.True(File.Exists(_fixture.KeyFile("mesh-root-1")));
    }

    [Fact]
    public async Task The_first_version_is_where_the_key_vault_reads_keys_and_openssl_decrypts_every_version()
    {
        var custody = Custody();
        var v1 = await CustodyAuthorities.CreateRootAsync(custody, Root("mesh-root-1", "init"), new RootCaRequest("CN=Root", Now, Now.AddYears(1)), default);
        var v2 = await custody.CreateKeyAsync(Root("mesh-root-1", "rot-1"));

        var loaded = await _fixture.Open(Passphrase).LoadAsync(new KeyReference("local", "mesh-root-1"));
        Assert.True(loaded.Matches(v1.Certificate!));
        foreach (var file in new[] { _fixture.KeyFile("mesh-root-1"), Path.Combine(_fixture.KeyDirectory, "mesh-root-1+2.key.pem") })
        {
            var text = await File.ReadAllTextAsync(file);
            Assert.StartsWith($"-----BEGIN {PemLabels.EncryptedPkcs8}-----", text, StringComparison.Ordinal);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }

            var result = await OpenSsl.RunAsync("pkey", "-in", file, "-passin", "pass:" + Passphrase, "-pubout");
            Assert.True(result.Succeeded, result.ToString());
        }

        var publicPem = (await OpenSsl.RunAsync("pkey", "-in", Path.Combine(_fixture.KeyDirectory, "mesh-root-1+2.key.pem"), "-passin", "pass:" + Passphrase, "-pubout", "-outform", "DER")).StdOut;
        Assert.False(string.IsNullOrEmpty(publicPem));
        Assert.NotEqual(v1.PublicKey, v2.PublicKey);
    }

    [Fact]
    public async Task Custody_records_hold_no_key_material()
    {
        var custody = Custody();
        await CustodyAuthorities.CreateRootAsync(custody, Root("mesh-root-1", "init"), new RootCaRequest("CN=Root", Now, Now.AddYears(1)), default);

        var record = await File.ReadAllTextAsync(Path.Combine(_fixture.KeyDirectory, "mesh-root-1.custody.json"));

        Assert.DoesNotContain("PRIVATE KEY", record, StringComparison.Ordinal);
        Assert.Contains("\"exportable\": false", record, StringComparison.Ordinal);
        Assert.Contains("BEGIN CERTIFICATE", record, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_crash_after_the_record_but_before_the_key_is_completed_by_the_retry()
    {
        var custody = Custody();
        // What a crash right after the record is written leaves behind.
        Directory.CreateDirectory(_fixture.KeyDirectory);
        await File.WriteAllTextAsync(Path.Combine(_fixture.KeyDirectory, "mesh-root-1.custody.json"),
            """{ "version": 1, "algorithm": "ecdsa-p256", "exportable": false, "state": "Pending", "operationId": "init", "role": "Root" }""");

        var key = await custody.CreateKeyAsync(Root("mesh-root-1", "init"));

        Assert.Equal("1", key.Reference.Version);
        Assert.Equal(CustodyKeyState.Pending, key.State);
        Assert.True(File.Exists(_fixture.KeyFile("mesh-root-1")));
        Assert.NotEmpty(await custody.SignAsync(key.Reference, new byte[] { 9 }));
    }
}
