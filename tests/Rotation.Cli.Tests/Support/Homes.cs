using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Infra.LocalVault;
using Rotation.Infra.Sqlite;

namespace Rotation.Cli.Tests.Support;

/// <summary>Opens a home's state store and vault directly, to check what a command committed.</summary>
public static class Homes
{
    public static SqliteStateStore Store(string home) =>
        new(new SqliteStoreOptions { DatabasePath = Path.Combine(home, CliServices.DatabaseFileName) });

    public static async Task<CaInventory> InventoryAsync(string home, string domain) =>
        new(domain, await Store(home).ListAuthoritiesAsync(domain));

    /// <summary>The domain's active issuer as a mesh would hold it after a first install.</summary>
    public static async Task<IssuerMaterial> ActiveIssuerAsync(string home, string domain, string passphrase)
    {
        var inventory = await InventoryAsync(home, domain);
        var vault = new LocalKeyVault(new LocalKeyVaultOptions { KeyDirectory = Path.Combine(home, CliServices.KeyDirectoryName), Passphrase = passphrase });
        var key = await vault.LoadAsync(inventory.ActiveIntermediate.Key);
        return new IssuerMaterial(
            CertificateWithKey.Create(inventory.ActiveIntermediate.Certificate, key),
            [inventory.ActiveIntermediate.Certificate, inventory.ActiveRoot.Certificate],
            TrustBundle.Of(inventory.ActiveRoot.Certificate));
    }
}
