using System.Security.Cryptography;
using System.Text;
using Rotation.Core.Pki;

namespace Rotation.Infra.LocalVault;

/// <summary>The passphrase that encrypts key files, and where it came from (for an error that says what to fix).</summary>
internal sealed class VaultPassphrase
{
    public const string FileName = "vault.passphrase";
    public const string EnvironmentVariable = "ROTATION_VAULT_PASSPHRASE";

    private VaultPassphrase(string value, string? file)
    {
        Value = value;
        File = file;
    }

    public string Value { get; }

    /// <summary>The generated passphrase file, or null when the passphrase was configured.</summary>
    public string? File { get; }

    public static VaultPassphrase Configured(string value) => new(value, null);

    /// <summary>Reads the generated passphrase file; null when there is none yet.</summary>
    public static async Task<VaultPassphrase?> ReadGeneratedAsync(string directory, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, FileName);
        if (!System.IO.File.Exists(path))
        {
            return null;
        }

        var value = (await System.IO.File.ReadAllTextAsync(path, cancellationToken)).Trim();
        return value.Length > 0
            ? new VaultPassphrase(value, path)
            : throw new PkiException($"vault passphrase file {path} is empty: restore it from a backup, or set {EnvironmentVariable} to the passphrase the keys were stored with");
    }

    /// <summary>
    /// Creates the passphrase file on first use; when another process wins the race, uses theirs. Refuses when
    /// <paramref name="findExistingKey"/> finds a key: those keys were stored under a configured passphrase.
    /// </summary>
    public static async Task<VaultPassphrase> ReadOrGenerateAsync(string directory, Func<string?> findExistingKey, CancellationToken cancellationToken)
    {
        if (await ReadGeneratedAsync(directory, cancellationToken) is { } existing)
        {
            return existing;
        }

        if (findExistingKey() is { } keyName)
        {
            throw new PkiException(
                $"{directory} holds key '{keyName}' but no {FileName} and {EnvironmentVariable} is not set: set {EnvironmentVariable} to the passphrase its keys were stored with");
        }

        var secret = RandomNumberGenerator.GetBytes(32);
        var text = Encoding.ASCII.GetBytes(Convert.ToBase64String(secret) + "\n");
        try
        {
            await PrivateFiles.TryCreateAsync(Path.Combine(directory, FileName), text, cancellationToken);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
            CryptographicOperations.ZeroMemory(text);
        }

        return await ReadGeneratedAsync(directory, cancellationToken)
            ?? throw new PkiException($"vault passphrase file {Path.Combine(directory, FileName)} vanished while it was being created: check what else writes to {directory}");
    }

    public string CannotDecrypt(string keyName, string directory) => File is null
        ? $"cannot decrypt key '{keyName}' in {directory}: wrong {EnvironmentVariable}? set it to the passphrase the key was stored with"
        : $"cannot decrypt key '{keyName}' in {directory}: wrong {EnvironmentVariable}? the key was not stored with the passphrase in {File}; set {EnvironmentVariable} to the one it was stored with";

    public override string ToString() => File is null ? "VaultPassphrase(configured, redacted)" : $"VaultPassphrase({File}, redacted)";
}
