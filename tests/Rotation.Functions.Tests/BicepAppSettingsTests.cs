using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Azure.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Rotation.Core.Ports;
using Rotation.Functions.Events;
using Rotation.Functions.Hosting;
using Rotation.Functions.Tests.Support;
using Rotation.Infra.AzureTables;
using Rotation.Infra.Events;
using Rotation.Infra.KeyVault;
using Rotation.Infra.OpenTelemetry;

namespace Rotation.Functions.Tests;

/// <summary>
/// The app settings the compiled template gives the Function App, bound through the host's real options binding and
/// validation (AddRotationFunctions): a name the host does not bind, or a value it refuses, fails here and not at the
/// first start in Azure. ARM expressions get a sample value of the shape Azure returns for what they reference.
/// </summary>
public sealed partial class BicepAppSettingsTests(CompiledTemplate compiled) : IClassFixture<CompiledTemplate>
{
    private const string ClientId = "00000000-0000-0000-0000-0000000000c1";
    private const string TableEndpoint = "https://rotst0001.table.core.windows.net/";

    /// <summary>Values of module parameters fed from other modules' outputs (the shape each output has in Azure).</summary>
    private static readonly Dictionary<string, string> OutputSamples = new()
    {
        ["identityClientId"] = ClientId,
        ["keyVaultUri"] = "https://rot-kv-0001.vault.azure.net/",
        ["topicEndpoint"] = "https://rot-0001-events.westeurope-1.eventgrid.azure.net/api/events",
    };

    [Fact]
    public void The_templates_app_settings_bind_validate_and_select_table_storage_key_vault_and_event_grid()
    {
        var settings = AppSettings();
        using var provider = new ServiceCollection().AddLogging().AddRotationFunctions(Configuration(settings)).BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<RotationFunctionsOptions>>().Value; // throws with every problem if invalid
        Assert.Equal("table", options.Store);
        Assert.Equal(TableEndpoint, options.TableEndpoint);
        Assert.Equal("rotation", options.TableName);
        Assert.Equal("keyvault", options.Vault);
        Assert.Equal(OutputSamples["keyVaultUri"], options.KeyVaultUri);
        Assert.Equal("eventgrid", options.Events);
        Assert.Equal(OutputSamples["topicEndpoint"], options.EventGridTopicEndpoint);
        Assert.Equal(ClientId, options.ManagedIdentityClientId);
        _ = provider.GetRequiredService<IOptions<RotationTelemetryOptions>>().Value;

        // The adapters those settings choose, and the one credential they share: the identity AZURE_CLIENT_ID names.
        var store = Assert.IsType<TableStateStore>(Assert.IsType<OutboxNudgingStateStore>(provider.GetRequiredService<IStateStore>()).Inner);
        Assert.Equal(new Uri(TableEndpoint + "rotation"), store.Endpoint);
        Assert.IsType<KeyVaultKeyCustody>(provider.GetRequiredService<IKeyCustody>());
        var sink = Assert.IsType<EventGridSink>(provider.GetRequiredService<IEventSink>());
        Assert.Equal($"eventgrid:{OutputSamples["topicEndpoint"]}", sink.Name);
        Assert.IsType<OutboxDrain>(provider.GetRequiredService<IOutboxPublisher>());
        Assert.IsType<ManagedIdentityCredential>(provider.GetRequiredService<Azure.Core.TokenCredential>());
    }

    [Fact]
    public void Every_setting_the_host_reads_is_set_and_every_Rotation_setting_names_an_option()
    {
        var settings = AppSettings();

        // A misspelt Rotation__ setting would bind to nothing and silently leave the default.
        var properties = typeof(RotationFunctionsOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite).Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var name in settings.Keys.Where(k => k.StartsWith(RotationFunctionsOptions.SectionName + "__", StringComparison.Ordinal)))
            Assert.True(properties.Contains(name[(RotationFunctionsOptions.SectionName.Length + 2)..]), $"{name} names no property of RotationFunctionsOptions");

        // Host storage and the Durable task hub (identity-based: the three service URIs), the event queue's connection.
        foreach (var service in new[] { "blob", "queue", "table" })
            Assert.StartsWith("https://", settings[$"AzureWebJobsStorage__{service}ServiceUri"], StringComparison.Ordinal);
        Assert.StartsWith("https://", settings[$"{RotationFunctionsOptions.EventQueueConnection}__queueServiceUri"], StringComparison.Ordinal);
        Assert.Equal(ClientId, settings[RotationFunctionsOptions.ClientIdSetting]);

        // Every %SETTING% host.json and the triggers refer to is an app setting.
        var hostJson = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "host.json"));
        var referenced = Percent().Matches(hostJson).Select(m => m.Groups[1].Value).Append("ExpiryScanSchedule").ToList();
        Assert.Contains("ROTATION_TASK_HUB", referenced);
        Assert.All(referenced, name => Assert.True(settings.ContainsKey(name), $"%{name}% is not an app setting of the template"));
        Assert.Equal("RotationHub", settings["ROTATION_TASK_HUB"]);
    }

    /// <summary>The site's app settings, each ARM expression replaced by a value of the shape Azure gives it.</summary>
    private Dictionary<string, string> AppSettings()
    {
        Assert.True(compiled.Build.ExitCode == 0, compiled.Build.Stderr);
        var (site, template) = compiled.Resources().Single(r => (string?)r.Resource["type"] == "Microsoft.Web/sites" && r.Resource["existing"] is null);
        var module = compiled.Resources().Single(r => (string?)r.Resource["type"] == "Microsoft.Resources/deployments" && ReferenceEquals(r.Resource["properties"]?["template"], template)).Resource;
        return site["properties"]!["siteConfig"]!["appSettings"]!.AsArray()
            .ToDictionary(s => (string)s!["name"]!, s => Sample((string)s!["name"]!, (string)s!["value"]!, module));
    }

    private string Sample(string name, string value, JsonNode module)
    {
        if (!value.StartsWith('['))
            return value;
        if (ServiceEndpoint().Match(value) is { Success: true } endpoint)
            return $"https://rotst0001.{endpoint.Groups[1].Value}.core.windows.net/";
        if (value.Contains("Microsoft.Insights/components", StringComparison.Ordinal) && value.EndsWith(".ConnectionString]", StringComparison.Ordinal))
            return "InstrumentationKey=7d1f0a52-52c4-4c39-9b55-5b8a3c1f0e11;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/";
        if (value == "[format('ClientId={0};Authorization=AAD', parameters('identityClientId'))]")
            return $"ClientId={ClientId};Authorization=AAD";
        if (Parameter().Match(value) is { Success: true } parameter)
            return ModuleParameter(parameter.Groups[1].Value, module);
        throw new Xunit.Sdk.XunitException($"app setting {name}: no sample for the expression {value} (add one to this test)");
    }

    /// <summary>A module parameter: the main template parameter's default it is passed, or a sample of the output it is fed from.</summary>
    private string ModuleParameter(string name, JsonNode module)
    {
        var passed = module["properties"]!["parameters"]?[name]?["value"];
        if (passed is null)
            return (string)module["properties"]!["template"]!["parameters"]![name]!["defaultValue"]!;
        var text = passed is JsonValue value && value.TryGetValue<string>(out var literal) ? literal : passed.ToJsonString();
        if (Parameter().Match(text) is { Success: true } main)
            return (string)compiled.Template["parameters"]![main.Groups[1].Value]!["defaultValue"]!;
        return OutputSamples.TryGetValue(name, out var sample) ? sample
            : throw new Xunit.Sdk.XunitException($"module parameter {name} = {text}: no sample (add one to this test)");
    }

    /// <summary>App settings reach the worker as environment variables, where "__" is the section separator.</summary>
    private static IConfiguration Configuration(Dictionary<string, string> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key.Replace("__", ":", StringComparison.Ordinal), (string?)s.Value))).Build();

    [GeneratedRegex(@"primaryEndpoints\.(blob|queue|table)\]$")]
    private static partial Regex ServiceEndpoint();

    [GeneratedRegex(@"^\[parameters\('(\w+)'\)\]$")]
    private static partial Regex Parameter();

    [GeneratedRegex("%([A-Za-z0-9_]+)%")]
    private static partial Regex Percent();
}
