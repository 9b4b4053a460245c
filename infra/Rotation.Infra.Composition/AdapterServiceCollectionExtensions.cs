using Azure;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Messaging.EventGrid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Rotation.Core.Events;
using Rotation.Core.Ports;
using Rotation.Infra.AzureTables;
using Rotation.Infra.Events;
using Rotation.Infra.KeyVault;
using Rotation.Infra.LocalVault;
using Rotation.Infra.Sqlite;

namespace Rotation.Infra.Composition;

/// <summary>
/// The one composition of the adapters, used by the CLI and the Functions host alike: <see cref="IStateStore"/>,
/// <see cref="IKeyCustody"/>, and, when events go somewhere, <see cref="IEventSink"/> and the <see cref="OutboxPublisher"/>
/// that drains the outbox to it. Every Azure client gets the same <see cref="TokenCredential"/> singleton (one token cache
/// per process): a user-assigned managed identity by client id, else DefaultAzureCredential. Anything registered before
/// (a test's credential or store, <see cref="AzureClientSetup"/> hooks) wins.
/// </summary>
public static class AdapterServiceCollectionExtensions
{
    /// <summary>
    /// Registers the adapters <paramref name="settings"/> chooses (read when first resolved, so a host can pass its
    /// validated options). <see cref="IEventSink"/> and <see cref="OutboxPublisher"/> resolve to null with Events "none".
    /// </summary>
    public static IServiceCollection AddRotationAdapters(this IServiceCollection services, Func<IServiceProvider, RotationAdapterSettings> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(new AzureClientSetup());
        services.TryAddSingleton<OutboxPublisherOptions>();
        services.TryAddSingleton(sp => KeyVaultCredentials.Create(settings(sp).ManagedIdentityClientId));
        services.TryAddSingleton(sp => CreateStore(settings(sp), sp));
        services.TryAddSingleton(sp => CreateCustody(settings(sp), sp));
        services.TryAddSingleton(sp => CreateSink(settings(sp), sp)!);
        services.TryAddSingleton(sp => sp.GetService<IEventSink>() is { } sink
            ? new OutboxPublisher(sp.GetRequiredService<IStateStore>(), sink, sp.GetRequiredService<OutboxPublisherOptions>(), sp.GetRequiredService<TimeProvider>())
            : null!);
        return services;
    }

    private static IStateStore CreateStore(RotationAdapterSettings settings, IServiceProvider services)
    {
        var time = services.GetRequiredService<TimeProvider>();
        if (!RotationAdapterSettings.Is(settings.Store, RotationAdapterSettings.TableStore))
        {
            return new SqliteStateStore(new SqliteStoreOptions { DatabasePath = settings.SqlitePath!, ReadOnly = settings.SqliteReadOnly, Pooling = settings.SqlitePooling }, time);
        }

        var options = new TableClientOptions();
        services.GetRequiredService<AzureClientSetup>().Tables?.Invoke(options);
        var client = string.IsNullOrWhiteSpace(settings.TableConnectionString)
            ? new TableServiceClient(new Uri(settings.TableEndpoint!.Trim()), services.GetRequiredService<TokenCredential>(), options)
            : new TableServiceClient(settings.TableConnectionString, options);
        return new TableStateStore(client, settings.TableName, time);
    }

    private static IKeyCustody CreateCustody(RotationAdapterSettings settings, IServiceProvider services)
    {
        var time = services.GetRequiredService<TimeProvider>();
        if (!RotationAdapterSettings.Is(settings.Vault, RotationAdapterSettings.KeyVault))
        {
            return new LocalKeyCustody(new LocalKeyVaultOptions { KeyDirectory = settings.KeyDirectory!, Passphrase = settings.KeyPassphrase }, time);
        }

        return new KeyVaultKeyCustody(
            new KeyVaultCustodyOptions { VaultUri = new Uri(settings.KeyVaultUri!.Trim()), ConfigureClient = services.GetRequiredService<AzureClientSetup>().KeyVault },
            services.GetRequiredService<TokenCredential>());
    }

    private static IEventSink? CreateSink(RotationAdapterSettings settings, IServiceProvider services)
    {
        var time = services.GetRequiredService<TimeProvider>();
        var setup = services.GetRequiredService<AzureClientSetup>();
        if (RotationAdapterSettings.Is(settings.Events, RotationAdapterSettings.EventGridEvents))
        {
            var endpoint = new Uri(settings.EventGridTopicEndpoint!.Trim());
            var options = new EventGridPublisherClientOptions();
            // The outbox publisher owns retries (each failed attempt counts against its rows); the SDK must not hide them.
            options.Retry.MaxRetries = 0;
            setup.EventGrid?.Invoke(options);
            return string.IsNullOrWhiteSpace(settings.EventGridKey)
                ? new EventGridSink(endpoint, services.GetRequiredService<TokenCredential>(), options, time)
                : new EventGridSink(endpoint, new AzureKeyCredential(settings.EventGridKey), options, time);
        }

        if (RotationAdapterSettings.Is(settings.Events, RotationAdapterSettings.WebhookEvents))
        {
            return new WebhookSink(
                new WebhookSinkOptions { Endpoint = new Uri(settings.WebhookUrl!.Trim()), Origin = settings.WebhookOrigin },
                setup.WebhookHttpClient?.Invoke(),
                time);
        }

        return null;
    }
}
