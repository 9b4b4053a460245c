using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Rotation.Cli;
using Rotation.Core.Ports;
using Rotation.Functions.Events;
using Rotation.Functions.Hosting;
using Rotation.Infra.AzureTables;
using Rotation.Testing;

namespace Rotation.Functions.Tests;

/// <summary>The CLI and the Functions host pick their adapters through the same composition: same settings, same adapters.</summary>
public sealed class SharedCompositionTests : IDisposable
{
    private const string Vault = "https://rot-shared.vault.azure.net/";
    private const string Topic = "https://rot-shared.westeurope-1.eventgrid.azure.net/api/events";
    private readonly TempDirectory _home = new("rotation-shared");

    public void Dispose() => _home.Dispose();

    [Fact]
    public async Task The_cli_and_the_host_resolve_the_same_adapters_from_the_same_settings()
    {
        const string tables = "UseDevelopmentStorage=true";
        var environment = new Dictionary<string, string>
        {
            [AdapterSettings.StoreVariable] = "tables:" + tables,
            [AdapterSettings.VaultVariable] = "keyvault:" + Vault.TrimEnd('/'),
            [AdapterSettings.EventsVariable] = "eventgrid:" + Topic,
            ["AZURE_CLIENT_ID"] = "00000000-0000-0000-0000-0000000000c1",
        };
        var context = new CliContext(TextWriter.Null, TextWriter.Null, name => environment.GetValueOrDefault(name), TimeProvider.System);
        var cli = await CliServices.OpenExistingAsync(context, _home.Path);

        using var host = new ServiceCollection().AddLogging().AddRotationFunctions(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Rotation:Store"] = "table",
            ["Rotation:TableConnectionString"] = tables,
            ["Rotation:Vault"] = "keyvault",
            ["Rotation:KeyVaultUri"] = Vault,
            ["Rotation:Events"] = "eventgrid",
            ["Rotation:EventGridTopicEndpoint"] = Topic,
            ["AZURE_CLIENT_ID"] = "00000000-0000-0000-0000-0000000000c1",
        }).Build()).BuildServiceProvider();

        // The host wraps its store only to drain the outbox after commits (OutboxNudgingStateStore); the store inside is the CLI's.
        var hostStore = Assert.IsType<OutboxNudgingStateStore>(host.GetRequiredService<IStateStore>()).Inner;
        Assert.IsType<TableStateStore>(cli.Store);
        Assert.Equal(hostStore.GetType(), cli.Store.GetType());
        Assert.Equal(((TableStateStore)hostStore).Endpoint, ((TableStateStore)cli.Store).Endpoint);
        Assert.Equal(host.GetRequiredService<IKeyCustody>().GetType(), cli.Custody.GetType());
        Assert.Equal(host.GetRequiredService<IKeyCustody>().Provider, cli.Custody.Provider);
        var hostSink = host.GetRequiredService<IEventSink>();
        Assert.Equal(hostSink.GetType(), cli.EventSink!.GetType());
        Assert.Equal(hostSink.Name, cli.EventSink.Name);
        Assert.NotNull(cli.Publisher);
    }
}
