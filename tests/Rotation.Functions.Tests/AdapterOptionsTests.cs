using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Rotation.Core.Ports;
using Rotation.Functions.Events;
using Rotation.Functions.Hosting;
using Rotation.Infra.AzureTables;
using Rotation.Infra.Events;
using Rotation.Infra.KeyVault;
using Rotation.Infra.LocalVault;
using Rotation.Infra.Sqlite;

namespace Rotation.Functions.Tests;

/// <summary>Rotation__Store / Vault / Events: what the host validates at start, and which adapters each choice resolves.</summary>
public sealed class AdapterOptionsTests
{
    private static ServiceProvider Host(Dictionary<string, string?> settings) =>
        new ServiceCollection().AddLogging().AddRotationFunctions(new ConfigurationBuilder().AddInMemoryCollection(settings).Build()).BuildServiceProvider();

    private static IReadOnlyList<string> Problems(Dictionary<string, string?> settings)
    {
        using var provider = Host(settings);
        return [.. Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RotationFunctionsOptions>>().Value).Failures];
    }

    [Fact]
    public void Every_bad_adapter_value_is_listed_at_once()
    {
        var problems = Problems(new()
        {
            ["Rotation:Store"] = "table",
            ["Rotation:TableName"] = "1-bad",
            ["Rotation:Vault"] = "keyvault",
            ["Rotation:KeyVaultUri"] = "https://rot.vault.azure.net/keys/x",
            ["Rotation:Events"] = "kafka",
        });

        Assert.Equal(4, problems.Count);
        Assert.Contains(problems, p => p.Contains("set exactly one of Rotation:TableEndpoint", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Rotation:TableName '1-bad' is not a valid table name", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Rotation:KeyVaultUri is 'https://rot.vault.azure.net/keys/x'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Rotation:Events is 'kafka': use 'none', 'eventgrid' or 'webhook'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Rotation:Store", "table", "Rotation:TableEndpoint", "not a uri", "Rotation:TableEndpoint is 'not a uri': it must be an absolute http(s) URL")]
    [InlineData("Rotation:Store", "table", "Rotation:TableConnectionString", "AccountName=x;Nonsense", "Rotation:TableConnectionString is malformed")]
    [InlineData("Rotation:Vault", "keyvault", "Rotation:KeyVaultUri", "", "Rotation:KeyVaultUri is missing")]
    [InlineData("Rotation:Vault", "keyvault", "Rotation:KeyVaultUri", "http://rot.vault.azure.net/", "it must be the vault's https URL")]
    [InlineData("Rotation:Events", "eventgrid", "Rotation:EventGridTopicEndpoint", "http://t.westeurope-1.eventgrid.azure.net/api/events", "Rotation:EventGridTopicEndpoint is 'http://t.westeurope-1.eventgrid.azure.net/api/events': it must be an absolute https URL")]
    [InlineData("Rotation:Events", "eventgrid", "Rotation:EventGridTopicEndpoint", "", "Rotation:EventGridTopicEndpoint is missing")]
    [InlineData("Rotation:Events", "webhook", "Rotation:WebhookUrl", "ftp://hooks.example/", "Rotation:WebhookUrl is 'ftp://hooks.example/'")]
    public void A_bad_value_for_a_chosen_adapter_stops_the_host_naming_the_setting(string kindKey, string kind, string key, string value, string expected)
    {
        var problems = Problems(new()
        {
            ["Rotation:SqlitePath"] = "/tmp/rotation.db",
            ["Rotation:KeyDirectory"] = "/tmp/keys",
            [kindKey] = kind,
            [key] = value,
        });

        var problem = Assert.Single(problems);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
        Assert.DoesNotContain("Nonsense", problem, StringComparison.Ordinal); // a connection string is never echoed
    }

    [Fact]
    public void Both_a_table_endpoint_and_a_connection_string_is_one_problem()
    {
        var problem = Assert.Single(Problems(new()
        {
            ["Rotation:Store"] = "table",
            ["Rotation:TableEndpoint"] = "https://acct.table.core.windows.net/",
            ["Rotation:TableConnectionString"] = "UseDevelopmentStorage=true",
            ["Rotation:KeyDirectory"] = "/tmp/keys",
        }));
        Assert.Contains("set exactly one of", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void The_defaults_stay_sqlite_local_and_no_sink()
    {
        using var provider = Host(new() { ["Rotation:SqlitePath"] = "/tmp/rotation.db", ["Rotation:KeyDirectory"] = "/tmp/keys" });

        Assert.IsType<SqliteStateStore>(Assert.IsType<OutboxNudgingStateStore>(provider.GetRequiredService<IStateStore>()).Inner);
        Assert.IsType<LocalKeyCustody>(provider.GetRequiredService<IKeyCustody>());
        Assert.Null(provider.GetService<IEventSink>());
        Assert.IsType<UnconfiguredOutboxPublisher>(provider.GetRequiredService<IOutboxPublisher>());
    }

    [Fact]
    public void Azure_choices_resolve_the_azure_adapters_over_one_credential()
    {
        using var provider = Host(new()
        {
            ["Rotation:Store"] = "table",
            ["Rotation:TableConnectionString"] = "UseDevelopmentStorage=true",
            ["Rotation:TableName"] = "rotationstaging",
            ["Rotation:Vault"] = "keyvault",
            ["Rotation:KeyVaultUri"] = "https://rot.vault.azure.net/",
            ["Rotation:Events"] = "webhook",
            ["Rotation:WebhookUrl"] = "https://hooks.example/rotation",
        });

        Assert.Equal("rotationstaging", Assert.IsType<TableStateStore>(Assert.IsType<OutboxNudgingStateStore>(provider.GetRequiredService<IStateStore>()).Inner).TableName);
        Assert.IsType<KeyVaultKeyCustody>(provider.GetRequiredService<IKeyCustody>());
        Assert.Equal("webhook:https://hooks.example/rotation", Assert.IsType<WebhookSink>(provider.GetRequiredService<IEventSink>()).Name);
        Assert.IsType<OutboxDrain>(provider.GetRequiredService<IOutboxPublisher>());
        Assert.Same(provider.GetRequiredService<Azure.Core.TokenCredential>(), provider.GetRequiredService<Azure.Core.TokenCredential>());
    }
}
