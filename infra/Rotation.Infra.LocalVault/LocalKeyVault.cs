using System.Security.Cryptography;
using System.Text;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;

namespace Rotation.Infra.LocalVault;

/// <summary>
/// The embedded key vault's files: one encrypted PKCS#8 PEM file per key (&lt;name&gt;.key.pem, mode 0600) in a 0700
/// directory. Keys are never written unencrypted and never logged. Rotation uses it through <see cref="LocalKeyCustody"/>
/// (the <see cref="IKeyCustody"/> port); it stays public for tools and tests that make or read a home's key files.
/// </summary>
public sealed class LocalKeyVault
{
    public const string ProviderName = "local";

    private readonly string? _configuredPassphrase;
    private readonly Lock _passphraseGate = new();
    private Task<VaultPassphrase>? _passphrase;
    private bool _passphraseProven;
    private PassphraseKeyEncryption? _encryption;
    private readonly RememberedKeys _remembered = new();

    public LocalKeyVault(LocalKeyVaultOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.KeyDirectory))
        {
            throw new ArgumentException("the local key vault needs a directory: set LocalKeyVaultOptions.KeyDirectory (normally <home>/keys)", nameof(options));
        }

        KeyDirectory = Path.GetFullPath(options.KeyDirectory);
        _configuredPassphrase = string.IsNullOrEmpty(options.Passphrase) ? null : options.Passphrase;
    }

    public string Provider => ProviderName;

    public string KeyDirectory { get; }

    public async Task<KeyReference> StoreAsync(string name, PrivateKey key, CancellationToken cancellationToken = default)
    {
        KeyNames.Validate(name);
        await StoreStemAsync(name, key, cancellationToken);
        return new KeyReference(Provider, name);
    }

    /// <summary>Stores under a file stem: a key name, or a versioned stem (see <see cref="KeyNames.Stem"/>).</summary>
    internal async Task StoreStemAsync(string name, PrivateKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var path = PathOf(name);

        if (File.Exists(path))
        {
            var current = await GetPassphraseAsync(create: false, name, cancellationToken);
            await EnsureHoldsAsync(name, path, key, current, cancellationToken);
            return;
        }

        PrivateFiles.EnsureDirectory(KeyDirectory);
        var passphrase = await GetPassphraseAsync(create: true, name, cancellationToken);
        await EnsureOpensExistingKeysAsync(name, passphrase, cancellationToken);
        var encryption = EncryptionFor(passphrase);
        var text = encryption.Encrypt(key);
        if (!await PrivateFiles.TryCreateAsync(path, Encoding.ASCII.GetBytes(text), cancellationToken))
        {
            // Another writer got there first: fine only if it stored this very key.
            await EnsureHoldsAsync(name, path, key, passphrase, cancellationToken);
            return;
        }

        _remembered.Remember(name, text, encryption, key);
    }

    /// <summary>How many PBKDF2 derivations this instance has run (tests read it).</summary>
    internal int Derivations
    {
        get
        {
            lock (_passphraseGate)
            {
                return _encryption?.Derivations ?? 0;
            }
        }
    }

    // One per passphrase: PBKDF2 runs once per salt, not once per key (see PassphraseKeyEncryption).
    private PassphraseKeyEncryption EncryptionFor(VaultPassphrase passphrase)
    {
        lock (_passphraseGate)
        {
            if (_encryption is null || !_encryption.IsFor(passphrase.Value))
            {
                _encryption = new PassphraseKeyEncryption(passphrase.Value);
            }

            return _encryption;
        }
    }

    public async Task<PrivateKey> LoadAsync(KeyReference reference, CancellationToken cancellationToken = default)
    {
        var path = CheckedPath(reference);
        if (!File.Exists(path))
        {
            throw new PkiException(
                $"key '{reference.Name}' is not in {KeyDirectory}: point rotation at the home that holds it (ROTATION_HOME) or restore the key file from a backup");
        }

        var passphrase = await GetPassphraseAsync(create: false, reference.Name, cancellationToken);
        return await DecryptAsync(reference.Name, path, passphrase, cancellationToken);
    }

    /// <summary>Decrypts the key under a file stem; null when there is no such file.</summary>
    internal async Task<PrivateKey?> TryLoadStemAsync(string stem, CancellationToken cancellationToken)
    {
        var path = PathOf(stem);
        if (!File.Exists(path))
        {
            return null;
        }

        var passphrase = await GetPassphraseAsync(create: false, stem, cancellationToken);
        return await DecryptAsync(stem, path, passphrase, cancellationToken);
    }

    internal bool StemExists(string stem) => File.Exists(PathOf(stem));

    public Task<bool> ExistsAsync(KeyReference reference, CancellationToken cancellationToken = default) =>
        Task.FromResult(File.Exists(CheckedPath(reference)));

    private string CheckedPath(KeyReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (reference.Provider != Provider)
        {
            throw new PkiException(
                $"key '{reference.Name}' belongs to vault provider '{reference.Provider}', not '{Provider}': configure rotation with the {reference.Provider} vault");
        }

        KeyNames.Validate(reference.Name);
        return PathOf(reference.Name);
    }

    private string PathOf(string name) => Path.Combine(KeyDirectory, KeyNames.FileName(name));

    private async Task EnsureHoldsAsync(string name, string path, PrivateKey key, VaultPassphrase passphrase, CancellationToken cancellationToken)
    {
        var existing = await DecryptAsync(name, path, passphrase, cancellationToken);
        var stored = existing.ExportPkcs8Der();
        var offered = key.ExportPkcs8Der();
        try
        {
            if (!CryptographicOperations.FixedTimeEquals(stored, offered))
            {
                throw new PkiException(
                    $"key '{name}' already exists in {KeyDirectory} and holds a different key: store the new key under another name (a CA key is never overwritten)");
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(stored);
            CryptographicOperations.ZeroMemory(offered);
        }
    }

    /// <summary>
    /// A vault holds keys under one passphrase. Before adding a key, prove the passphrase opens a key already there,
    /// so a forgotten or mistyped ROTATION_VAULT_PASSPHRASE cannot split the vault between two passphrases.
    /// </summary>
    private async Task EnsureOpensExistingKeysAsync(string name, VaultPassphrase passphrase, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _passphraseProven))
        {
            return;
        }

        var existing = ExistingKeyNames().FirstOrDefault(n => n != name);
        if (existing is not null)
        {
            try
            {
                _ = await DecryptAsync(existing, PathOf(existing), passphrase, cancellationToken);
            }
            catch (PkiException ex)
            {
                throw new PkiException(
                    $"cannot store key '{name}' in {KeyDirectory}: the passphrase does not open key '{existing}' already there (wrong {VaultPassphrase.EnvironmentVariable}?); use the passphrase the vault's keys were stored with",
                    ex);
            }
        }

        Volatile.Write(ref _passphraseProven, true);
    }

    private IEnumerable<string> ExistingKeyNames() =>
        Directory.EnumerateFiles(KeyDirectory, "*" + KeyNames.FileSuffix)
            .Select(f => Path.GetFileName(f)[..^KeyNames.FileSuffix.Length])
            .Where(KeyNames.IsValidStem)
            .Order(StringComparer.Ordinal);

    private async Task<PrivateKey> DecryptAsync(string name, string path, VaultPassphrase passphrase, CancellationToken cancellationToken)
    {
        var pem = await File.ReadAllTextAsync(path, cancellationToken);
        var encryption = EncryptionFor(passphrase);
        if (_remembered.Find(name, pem, encryption) is { } known)
        {
            return known;
        }

        try
        {
            var key = encryption.Decrypt(pem);
            _remembered.Remember(name, pem, encryption, key);
            return key;
        }
        catch (PkiException ex)
        {
            throw new PkiException(passphrase.CannotDecrypt(name, KeyDirectory), ex);
        }
    }

    // Loading never creates the passphrase file: a read that fails must leave the directory as it was.
    private async Task<VaultPassphrase> GetPassphraseAsync(bool create, string keyName, CancellationToken cancellationToken)
    {
        if (_configuredPassphrase is not null)
        {
            return VaultPassphrase.Configured(_configuredPassphrase);
        }

        if (!create)
        {
            lock (_passphraseGate)
            {
                if (_passphrase is { IsCompletedSuccessfully: true })
                {
                    return _passphrase.Result;
                }
            }

            return await VaultPassphrase.ReadGeneratedAsync(KeyDirectory, cancellationToken)
                ?? throw new PkiException(
                    $"cannot decrypt key '{keyName}' in {KeyDirectory}: no passphrase; set {VaultPassphrase.EnvironmentVariable} or restore {Path.Combine(KeyDirectory, VaultPassphrase.FileName)}");
        }

        Task<VaultPassphrase> pending;
        lock (_passphraseGate)
        {
            if (_passphrase is null || _passphrase.IsFaulted || _passphrase.IsCanceled)
            {
                _passphrase = VaultPassphrase.ReadOrGenerateAsync(KeyDirectory, () => ExistingKeyNames().FirstOrDefault(), CancellationToken.None);
            }

            pending = _passphrase;
        }

        return await pending.WaitAsync(cancellationToken);
    }
}
