using Rotation.Core.Domain;
using Rotation.Core.Pki;

namespace Rotation.Infra.LocalVault.Tests;

public sealed class LocalKeyVaultTests : IDisposable
{
    private const string Passphrase = "correct horse battery staple";
    private readonly VaultFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public async Task A_stored_key_loads_back_as_the_same_key()
    {
        var vault = _fixture.Open(Passphrase);
        var key = VaultFixture.NewKey();

        var reference = await vault.StoreAsync("mesh-root-1", key);
        var loaded = await vault.LoadAsync(reference);

        Assert.Equal(new KeyReference("local", "mesh-root-1"), reference);
        Assert.Equal("local", vault.Provider);
        Assert.True(VaultFixture.SameKey(key, loaded));
        Assert.True(await vault.ExistsAsync(reference));
        Assert.False(await vault.ExistsAsync(new KeyReference("local", "other")));
    }

    [Theory]
    [InlineData(KeyAlgorithm.EcdsaP384)]
    [InlineData(KeyAlgorithm.Rsa2048)]
    public async Task Every_algorithm_round_trips(KeyAlgorithm algorithm)
    {
        var vault = _fixture.Open(Passphrase);
        var key = PrivateKey.Generate(algorithm);

        var loaded = await vault.LoadAsync(await vault.StoreAsync("k", key));

        Assert.Equal(algorithm, loaded.Algorithm);
        Assert.True(VaultFixture.SameKey(key, loaded));
    }

    [Fact]
    public async Task The_key_directory_is_0700_and_key_files_are_0600()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        await _fixture.Open(Passphrase).StoreAsync("mesh-root-1", VaultFixture.NewKey());

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_fixture.KeyDirectory));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_fixture.KeyFile("mesh-root-1")));
    }

    [Fact]
    public async Task The_key_file_is_encrypted_pkcs8_and_does_not_hold_the_plain_key()
    {
        var key = VaultFixture.NewKey();
        await _fixture.Open(Passphrase).StoreAsync("mesh-root-1", key);

        var content = await File.ReadAllTextAsync(_fixture.KeyFile("mesh-root-1"));
        var plainBase64 = Convert.ToBase64String(key.ExportPkcs8Der());
        var contentWithoutBreaks = content.Replace("\n", "", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal);

        Assert.Contains(PemLabels.Begin(PemLabels.EncryptedPkcs8), content);
        Assert.DoesNotContain(PemLabels.Begin(PemLabels.Pkcs8), content);
        Assert.DoesNotContain(plainBase64, contentWithoutBreaks);
        Assert.DoesNotContain(plainBase64[..32], contentWithoutBreaks);
        Assert.DoesNotContain(Passphrase, content);
    }

    [Fact]
    public async Task A_wrong_passphrase_is_a_clear_one_line_error()
    {
        var reference = await _fixture.Open(Passphrase).StoreAsync("mesh-root-1", VaultFixture.NewKey());

        var error = await Assert.ThrowsAsync<PkiException>(() => _fixture.Open("not the passphrase").LoadAsync(reference));

        Assert.StartsWith($"cannot decrypt key 'mesh-root-1' in {_fixture.KeyDirectory}: wrong ROTATION_VAULT_PASSPHRASE?", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.DoesNotContain("not the passphrase", error.Message);
    }

    [Fact]
    public async Task Without_a_passphrase_one_is_generated_once_0600_and_reused_by_other_instances()
    {
        var key = VaultFixture.NewKey();
        var reference = await _fixture.Open().StoreAsync("mesh-root-1", key);
        var generated = await File.ReadAllTextAsync(_fixture.PassphraseFile);

        await _fixture.Open().StoreAsync("mesh-intermediate-1", VaultFixture.NewKey());
        var loaded = await _fixture.Open().LoadAsync(reference);

        Assert.True(VaultFixture.SameKey(key, loaded));
        Assert.Equal(generated, await File.ReadAllTextAsync(_fixture.PassphraseFile));
        Assert.Equal(32, Convert.FromBase64String(generated.Trim()).Length);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_fixture.PassphraseFile));
        }

        // The generated passphrase really is the one in use: a different configured one cannot read the key.
        await Assert.ThrowsAsync<PkiException>(() => _fixture.Open(Passphrase).LoadAsync(reference));
        Assert.True(VaultFixture.SameKey(key, await _fixture.Open(generated.Trim()).LoadAsync(reference)));
    }

    [Fact]
    public async Task A_configured_passphrase_creates_no_passphrase_file()
    {
        await _fixture.Open(Passphrase).StoreAsync("mesh-root-1", VaultFixture.NewKey());

        Assert.Equal(["mesh-root-1.key.pem"], _fixture.Files());
    }

    [Fact]
    public async Task Loading_without_any_passphrase_fails_clearly_and_creates_nothing()
    {
        var reference = await _fixture.Open(Passphrase).StoreAsync("mesh-root-1", VaultFixture.NewKey());

        var error = await Assert.ThrowsAsync<PkiException>(() => _fixture.Open().LoadAsync(reference));

        Assert.Contains("no passphrase; set ROTATION_VAULT_PASSPHRASE", error.Message);
        Assert.Equal(["mesh-root-1.key.pem"], _fixture.Files());
    }

    [Fact]
    public async Task A_new_key_under_another_passphrase_is_refused_so_the_vault_never_mixes_passphrases()
    {
        await _fixture.Open(Passphrase).StoreAsync("mesh-root-1", VaultFixture.NewKey());

        var error = await Assert.ThrowsAsync<PkiException>(() => _fixture.Open("a typo").StoreAsync("mesh-root-2", VaultFixture.NewKey()));

        Assert.Equal(
            $"cannot store key 'mesh-root-2' in {_fixture.KeyDirectory}: the passphrase does not open key 'mesh-root-1' already there (wrong ROTATION_VAULT_PASSPHRASE?); use the passphrase the vault's keys were stored with",
            error.Message);
        Assert.Equal(["mesh-root-1.key.pem"], _fixture.Files());
    }

    [Fact]
    public async Task A_new_key_without_the_passphrase_of_existing_keys_is_refused_and_no_passphrase_is_generated()
    {
        await _fixture.Open(Passphrase).StoreAsync("mesh-root-1", VaultFixture.NewKey());

        var error = await Assert.ThrowsAsync<PkiException>(() => _fixture.Open().StoreAsync("mesh-root-2", VaultFixture.NewKey()));

        Assert.Contains("holds key 'mesh-root-1' but no vault.passphrase and ROTATION_VAULT_PASSPHRASE is not set", error.Message);
        Assert.Equal(["mesh-root-1.key.pem"], _fixture.Files());
    }

    [Fact]
    public async Task Storing_the_same_key_again_changes_nothing()
    {
        var vault = _fixture.Open(Passphrase);
        var key = VaultFixture.NewKey();
        await vault.StoreAsync("mesh-root-1", key);
        var before = await File.ReadAllBytesAsync(_fixture.KeyFile("mesh-root-1"));

        var again = await _fixture.Open(Passphrase).StoreAsync("mesh-root-1", PrivateKey.FromPkcs8Der(key.ExportPkcs8Der()));

        Assert.Equal(new KeyReference("local", "mesh-root-1"), again);
        // Re-encrypting would change the salt and IV, so equal bytes mean the file was not rewritten.
        Assert.Equal(before, await File.ReadAllBytesAsync(_fixture.KeyFile("mesh-root-1")));
    }

    [Fact]
    public async Task A_different_key_under_an_existing_name_is_refused_and_the_old_key_stays()
    {
        var vault = _fixture.Open(Passphrase);
        var original = VaultFixture.NewKey();
        var reference = await vault.StoreAsync("mesh-root-1", original);

        var error = await Assert.ThrowsAsync<PkiException>(() => vault.StoreAsync("mesh-root-1", VaultFixture.NewKey()));

        Assert.StartsWith($"key 'mesh-root-1' already exists in {_fixture.KeyDirectory} and holds a different key", error.Message);
        Assert.True(VaultFixture.SameKey(original, await vault.LoadAsync(reference)));
    }

    [Fact]
    public async Task A_missing_key_is_a_clear_error()
    {
        var error = await Assert.ThrowsAsync<PkiException>(() => _fixture.Open(Passphrase).LoadAsync(new KeyReference("local", "nope")));

        Assert.StartsWith($"key 'nope' is not in {_fixture.KeyDirectory}:", error.Message);
    }

    [Fact]
    public async Task A_reference_to_another_provider_is_refused()
    {
        var error = await Assert.ThrowsAsync<PkiException>(() => _fixture.Open(Passphrase).LoadAsync(new KeyReference("keyvault", "root")));

        Assert.Contains("belongs to vault provider 'keyvault'", error.Message);
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("/etc/passwd")]
    [InlineData("a\\b")]
    [InlineData("a..b")]
    [InlineData(".hidden")]
    [InlineData("")]
    [InlineData("line\nbreak")]
    [InlineData("trailing-newline\n")]
    [InlineData("space name")]
    public async Task Unsafe_key_names_are_refused_and_nothing_is_written(string name)
    {
        var vault = _fixture.Open(Passphrase);

        var store = await Assert.ThrowsAsync<PkiException>(() => vault.StoreAsync(name, VaultFixture.NewKey()));
        var load = await Assert.ThrowsAsync<PkiException>(() => vault.LoadAsync(new KeyReference("local", name)));
        await Assert.ThrowsAsync<PkiException>(() => vault.ExistsAsync(new KeyReference("local", name)));

        Assert.StartsWith("key name '", store.Message);
        Assert.Contains("is not allowed: use 1-200 letters, digits", store.Message);
        Assert.DoesNotContain('\n', store.Message);
        Assert.Equal(store.Message, load.Message);
        Assert.False(Directory.Exists(_fixture.KeyDirectory));
        Assert.Empty(Directory.GetFileSystemEntries(_fixture.Parent));
    }

    [Fact]
    public async Task Concurrent_stores_of_the_same_key_from_separate_instances_all_succeed_with_one_file()
    {
        var key = VaultFixture.NewKey();
        var vaults = Enumerable.Range(0, 4).Select(_ => _fixture.Open()).ToList();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var running = vaults.Select(vault => Task.Run(async () =>
        {
            await start.Task;
            return await vault.StoreAsync("mesh-root-1", key);
        })).ToList();
        start.SetResult();
        var references = await Task.WhenAll(running);

        Assert.All(references, r => Assert.Equal(new KeyReference("local", "mesh-root-1"), r));
        // One key file and one passphrase (generated in the same race): no temp files left behind.
        Assert.Equal(["mesh-root-1.key.pem", "vault.passphrase"], _fixture.Files());
        Assert.True(VaultFixture.SameKey(key, await _fixture.Open().LoadAsync(references[0])));
    }

    [Fact]
    public async Task Concurrent_stores_of_different_keys_under_one_name_let_exactly_one_win()
    {
        var keys = Enumerable.Range(0, 4).Select(_ => VaultFixture.NewKey()).ToList();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var running = keys.Select(key => Task.Run(async () =>
        {
            await start.Task;
            try
            {
                await _fixture.Open(Passphrase).StoreAsync("mesh-root-1", key);
                return true;
            }
            catch (PkiException)
            {
                return false;
            }
        })).ToList();
        start.SetResult();
        var outcomes = await Task.WhenAll(running);

        var winner = keys[Array.IndexOf(outcomes, true)];
        Assert.Single(outcomes, o => o);
        Assert.True(VaultFixture.SameKey(winner, await _fixture.Open(Passphrase).LoadAsync(new KeyReference("local", "mesh-root-1"))));
        Assert.Equal(["mesh-root-1.key.pem"], _fixture.Files());
    }

    [Fact]
    public void A_vault_without_a_directory_is_refused_with_what_to_set()
    {
        var error = Assert.Throws<ArgumentException>(() => new LocalKeyVault(new LocalKeyVaultOptions()));

        Assert.Contains("LocalKeyVaultOptions.KeyDirectory", error.Message);
    }
}
