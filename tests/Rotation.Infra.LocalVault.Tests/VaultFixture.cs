using Rotation.Core.Pki;

namespace Rotation.Infra.LocalVault.Tests;

/// <summary>A key directory inside a temp folder (not created yet, so the vault creates it) and vaults over it.</summary>
internal sealed class VaultFixture : IDisposable
{
    private readonly TempDirectory _root = new();

    public VaultFixture() => KeyDirectory = _root.Combine("home", "keys");

    public string KeyDirectory { get; }

    public string Parent => _root.Path;

    public LocalKeyVault Open(string? passphrase = null) =>
        new(new LocalKeyVaultOptions { KeyDirectory = KeyDirectory, Passphrase = passphrase });

    public string KeyFile(string name) => Path.Combine(KeyDirectory, name + ".key.pem");

    public string PassphraseFile => Path.Combine(KeyDirectory, "vault.passphrase");

    public IReadOnlyList<string> Files() =>
        Directory.Exists(KeyDirectory)
            ? Directory.GetFiles(KeyDirectory).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToList()
            : [];

    public static PrivateKey NewKey() => PrivateKey.Generate(KeyAlgorithm.EcdsaP256);

    public static bool SameKey(PrivateKey a, PrivateKey b) => a.ExportPkcs8Der().AsSpan().SequenceEqual(b.ExportPkcs8Der());

    public void Dispose() => _root.Dispose();
}
