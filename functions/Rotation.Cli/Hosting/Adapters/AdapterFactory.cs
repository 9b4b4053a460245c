using Azure.Core;
using Microsoft.Extensions.DependencyInjection;
using Rotation.Infra.Composition;

namespace Rotation.Cli;

/// <summary>
/// Turns the CLI's adapter addresses (<see cref="AdapterSettings"/>: --store, --vault, --events and their variables and
/// file) into the settings shape the Functions host binds, and composes the adapters with the same
/// <see cref="AdapterServiceCollectionExtensions.AddRotationAdapters"/>: one credential for every Azure client.
/// </summary>
internal static class AdapterFactory
{
    /// <summary>The user-assigned managed identity to use for every Azure client, when set.</summary>
    public const string ClientIdVariable = "AZURE_CLIENT_ID";

    /// <summary>The settings for this home: the embedded defaults under it unless an address chooses otherwise.</summary>
    public static RotationAdapterSettings Settings(CliContext context, AdapterSettings adapters, string databasePath, string keyDirectory, bool readOnly, AdapterSetting? events = null)
    {
        var settings = new RotationAdapterSettings
        {
            SqlitePath = databasePath,
            SqliteReadOnly = readOnly,
            KeyDirectory = keyDirectory,
            KeyPassphrase = context.Environment(CliContext.PassphraseVariable),
            ManagedIdentityClientId = context.Environment(ClientIdVariable) is { Length: > 0 } id ? id : null,
        };
        if (StoreAddress.Parse(adapters.Store) is { } tables)
        {
            settings.Store = RotationAdapterSettings.TableStore;
            settings.TableConnectionString = tables.ConnectionString;
            settings.TableEndpoint = tables.Endpoint?.ToString();
        }

        if (VaultAddress.Parse(adapters.Vault) is { } vault)
        {
            settings.Vault = RotationAdapterSettings.KeyVault;
            settings.KeyVaultUri = vault.ToString();
        }

        if ((events ?? adapters.Events) is { } sink)
        {
            EventSinkAddress.Apply(sink, context, settings);
        }

        return settings;
    }

    /// <summary>The adapters <paramref name="settings"/> chooses, over the context's clock (and its test credential and transports).</summary>
    /// <param name="configure">Registrations that win over the composition's defaults (the drill's publisher options).</param>
    public static ServiceProvider Compose(CliContext context, RotationAdapterSettings settings, Action<IServiceCollection>? configure = null)
    {
        var services = new ServiceCollection();
        configure?.Invoke(services);
        services.AddSingleton(context.Time);
        if (context.AzureCredential is { } credential)
        {
            services.AddSingleton<TokenCredential>(credential);
        }

        services.AddSingleton(new AzureClientSetup { KeyVault = context.ConfigureKeyVaultClient, EventGrid = context.ConfigureEventGridClient });
        services.AddRotationAdapters(_ => settings);
        return services.BuildServiceProvider();
    }
}
