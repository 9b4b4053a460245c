using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Testing;

namespace Rotation.Infra.LocalVault.Tests;

/// <summary>
/// What the vault keeps in memory to avoid paying PBKDF2 per key (issue 10 §2): one key-encryption key per
/// passphrase for the files it writes, one derivation per foreign salt, and the keys it stored or decrypted, returned
/// only while their file still holds what they were read from. The files stay standard encrypted PKCS#8.
/// </summary>
public sealed class VaultKeyCachingTests : IDisposable
{
    private const string Passphrase = "correct horse battery staple";
    private readonly VaultFixture _fixture = new();

    [Fact]
    public async Task Storing_and_loading_many_keys_derives_the_key_encryption_key_once()
    {
        var vault = _fixture.Open(Passphrase);
        var keys = Enumerable.Range(1, 4).Select(_ => VaultFixture.NewKey()).ToList();
        var references = new List<KeyReference>();
        for (var i = 0; i < keys.Count; i++)
        {
            references.Add(await vault.StoreAsync($"mesh-ca-{i}", keys[i]));
        }

        for (var i = 0; i < keys.Count; i++)
        {
            Assert.True(VaultFixture.SameKey(keys[i], await vault.LoadAsync(references[i])));
        }

        // Before: one PBKDF2 per stored key and one per load (eight, plus the proof that the passphrase opens a key there).
        Assert.Equal(1, vault.Derivations);
    }

    [Fact]
    public async Task Another_instance_reads_the_files_with_one_derivation_for_their_shared_salt()
    {
        var writer = _fixture.Open(Passphrase);
        var keys = Enumerable.Range(1, 3).Select(_ => VaultFixture.NewKey()).ToList();
        for (var i = 0; i < keys.Count; i++)
        {
            await writer.StoreAsync($"mesh-ca-{i}", keys[i]);
        }

        var reader = _fixture.Open(Passphrase);
        for (var i = 0; i < keys.Count; i++)
        {
            Assert.True(VaultFixture.SameKey(keys[i], await reader.LoadAsync(new KeyReference("local", $"mesh-ca-{i}"))));
        }

        Assert.Equal(1, reader.Derivations);
    }

    [Fact]
    public async Task Files_with_their_own_salts_are_derived_once_each_and_not_again()
    {
        Directory.CreateDirectory(_fixture.KeyDirectory);
        var keys = Enumerable.Range(1, 2).Select(_ => VaultFixture.NewKey()).ToList();
        for (var i = 0; i < keys.Count; i++)
        {
            // As an earlier release wrote them: the BCL export, a random salt per file.
            await File.WriteAllTextAsync(_fixture.KeyFile($"old-{i}"), keys[i].ToEncryptedPkcs8Pem(Passphrase));
        }

        var vault = _fixture.Open(Passphrase);
        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < keys.Count; i++)
            {
                Assert.True(VaultFixture.SameKey(keys[i], await vault.LoadAsync(new KeyReference("local", $"old-{i}"))));
            }
        }

        Assert.Equal(2, vault.Derivations);
    }

    [Fact]
    public async Task The_files_stay_encrypted_pkcs8_that_openssl_opens_with_the_passphrase()
    {
        var vault = _fixture.Open(Passphrase);
        var first = VaultFixture.NewKey();
        var second = VaultFixture.NewKey();
        await vault.StoreAsync("mesh-root-1", first);
        await vault.StoreAsync("mesh-int-1", second);

        foreach (var (name, key) in new[] { ("mesh-root-1", first), ("mesh-int-1", second) })
        {
            var publicDer = Path.Combine(_fixture.Parent, name + ".pub.der");
            var result = await OpenSsl.RunAsync("pkey", "-in", _fixture.KeyFile(name), "-passin", "pass:" + Passphrase, "-pubout", "-outform", "DER", "-out", publicDer);
            Assert.True(result.Succeeded, result.ToString());
            Assert.Equal(PublicKey.Of(key).SubjectPublicKeyInfo.ToArray(), await File.ReadAllBytesAsync(publicDer));

            var wrong = await OpenSsl.RunAsync("pkey", "-in", _fixture.KeyFile(name), "-passin", "pass:not the passphrase", "-noout");
            Assert.False(wrong.Succeeded);
        }

        // Each file has its own IV, so equal keys never give equal files, although the salt is shared.
        Assert.NotEqual(await File.ReadAllTextAsync(_fixture.KeyFile("mesh-root-1")), await File.ReadAllTextAsync(_fixture.KeyFile("mesh-int-1")));
    }

    [Fact]
    public async Task A_remembered_key_is_not_returned_once_its_file_holds_another_key()
    {
        var vault = _fixture.Open(Passphrase);
        var reference = await vault.StoreAsync("mesh-root-1", VaultFixture.NewKey());

        // Restored from another home's backup under the same passphrase: the file is now a different key.
        var replacement = VaultFixture.NewKey();
        await File.WriteAllTextAsync(_fixture.KeyFile("mesh-root-1"), replacement.ToEncryptedPkcs8Pem(Passphrase));

        Assert.True(VaultFixture.SameKey(replacement, await vault.LoadAsync(reference)));
    }

    [Fact]
    public async Task A_remembered_key_is_not_returned_once_its_file_is_gone()
    {
        var vault = _fixture.Open(Passphrase);
        var reference = await vault.StoreAsync("mesh-root-1", VaultFixture.NewKey());
        File.Delete(_fixture.KeyFile("mesh-root-1"));

        var error = await Assert.ThrowsAsync<PkiException>(() => vault.LoadAsync(reference));

        Assert.Contains("is not in", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_rewritten_under_another_passphrase_is_refused_even_though_its_key_was_remembered()
    {
        var vault = _fixture.Open(Passphrase);
        var key = VaultFixture.NewKey();
        var reference = await vault.StoreAsync("mesh-root-1", key);
        await File.WriteAllTextAsync(_fixture.KeyFile("mesh-root-1"), key.ToEncryptedPkcs8Pem("another passphrase"));

        var error = await Assert.ThrowsAsync<PkiException>(() => vault.LoadAsync(reference));

        Assert.StartsWith("cannot decrypt key 'mesh-root-1'", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _fixture.Dispose();
}
