using Azure.Core;
using Rotation.Core.Ports;
using Rotation.Infra.AzureTables;
using Rotation.Infra.KeyVault;
using Rotation.Infra.LocalVault;
using Rotation.Infra.Sqlite;

namespace Rotation.Cli;

/// <summary>Builds the custody and store <see cref="AdapterSettings"/> names; the embedded ones when nothing is chosen.</summary>
internal static class AdapterFactory
{
    /// <summary>The user-assigned managed identity to use for every Azure client, when set.</summary>
    public const string ClientIdVariable = "AZURE_CLIENT_ID";

    public static IStateStore Store(CliContext context, AdapterSettings adapters, string databasePath, bool readOnly)
    {
        var tables = StoreAddress.Parse(adapters.Store);
        if (tables is null)
        {
            return new SqliteStateStore(new SqliteStoreOptions { DatabasePath = databasePath, ReadOnly = readOnly }, context.Time);
        }

        if (tables.Endpoint is not null)
        {
            tables.Credential = Credential(context);
        }

        return new TableStateStore(tables, context.Time);
    }

    public static IKeyCustody Custody(CliContext context, AdapterSettings adapters, string keyDirectory)
    {
        var vault = VaultAddress.Parse(adapters.Vault);
        return vault is null
            ? new LocalKeyCustody(new LocalKeyVaultOptions { KeyDirectory = keyDirectory, Passphrase = context.Environment(CliContext.PassphraseVariable) }, context.Time)
            : new KeyVaultKeyCustody(new KeyVaultCustodyOptions { VaultUri = vault, ConfigureClient = context.ConfigureKeyVaultClient }, Credential(context));
    }

    private static TokenCredential Credential(CliContext context) =>
        context.AzureCredential ?? KeyVaultCredentials.Create(context.Environment(ClientIdVariable) is { Length: > 0 } id ? id : null);
}
