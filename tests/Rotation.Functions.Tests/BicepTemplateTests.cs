using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Rotation.Functions.Tests.Support;

namespace Rotation.Functions.Tests;

/// <summary>Compiles bicep/main.bicep once with the real CLI; the tests assert on the ARM JSON it produced.</summary>
public sealed class CompiledTemplate : IAsyncLifetime
{
    public static string MainBicep => Path.Combine(TestPaths.RepositoryRoot, "bicep", "main.bicep");

    public BicepCli.Result Build { get; private set; } = null!;
    public BicepCli.Result Lint { get; private set; } = null!;
    public JsonNode Template { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        (Build, Lint) = await BicepCli.BuildAndLintAsync(MainBicep);
        if (Build.ExitCode == 0)
            Template = JsonNode.Parse(Build.Stdout)!;
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Every resource in the template and in every nested module deployment, with the template that holds it.</summary>
    public IEnumerable<(JsonNode Resource, JsonNode Template)> Resources() => Walk(Template);

    private static IEnumerable<(JsonNode, JsonNode)> Walk(JsonNode template)
    {
        var resources = template["resources"];
        IEnumerable<JsonNode?> items = resources switch
        {
            JsonArray array => array,
            JsonObject map => map.Select(p => p.Value),
            _ => [],
        };
        foreach (var resource in items.OfType<JsonNode>())
        {
            yield return (resource, template);
            if ((string?)resource["type"] == "Microsoft.Resources/deployments" && resource["properties"]?["template"] is { } nested)
            {
                foreach (var inner in Walk(nested))
                    yield return inner;
            }
        }
    }

    /// <summary>The one resource of <paramref name="type"/> the templates create (references to existing ones excluded).</summary>
    public JsonNode Single(string type) =>
        Resources().Single(r => (string?)r.Resource["type"] == type && r.Resource["existing"] is null).Resource;
}

public sealed class BicepTemplateTests(CompiledTemplate compiled) : IClassFixture<CompiledTemplate>
{
    private static readonly Dictionary<string, string> RoleIds = new()
    {
        ["Storage Blob Data Owner"] = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
        ["Storage Queue Data Contributor"] = "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
        ["Storage Table Data Contributor"] = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
        ["Key Vault Certificates Officer"] = "a4417e6f-fecd-4de8-b567-7b0420556985",
        ["Key Vault Crypto User"] = "12338af0-0e69-4776-bea7-57ae8d297424",
        ["Key Vault Secrets User"] = "4633458b-17de-408a-b874-0445c86b69e6",
        ["EventGrid Data Sender"] = "d5a91429-5739-47e2-a06b-3470a27159e7",
        ["Monitoring Metrics Publisher"] = "3913510d-42f4-4e42-8a64-420c390055eb",
        ["Storage Queue Data Message Sender"] = "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a",
    };

    [Fact]
    public void Main_builds_and_lints_with_no_diagnostic_under_the_strict_bicepconfig()
    {
        Assert.True(compiled.Build.ExitCode == 0, compiled.Build.Stderr);
        Assert.Empty(compiled.Build.Diagnostics);
        Assert.True(compiled.Lint.ExitCode == 0, compiled.Lint.Stderr);
        Assert.Empty(compiled.Lint.Diagnostics);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "bicep", "bicepconfig.json")))!;
        var rules = config["analyzers"]!["core"]!["rules"]!.AsObject();
        Assert.True(rules.Count >= 30);
        Assert.All(rules, r => Assert.Equal("error", (string?)r.Value!["level"]));
    }

    [Fact]
    public void Plan_and_app_are_flex_consumption_dotnet_isolated_10_with_one_always_ready_durable_instance()
    {
        var plan = compiled.Single("Microsoft.Web/serverfarms");
        Assert.Equal("FC1", (string?)plan["sku"]!["name"]);
        Assert.Equal("FlexConsumption", (string?)plan["sku"]!["tier"]);
        var site = compiled.Single("Microsoft.Web/sites");
        var config = site["properties"]!["functionAppConfig"]!;
        Assert.Equal("dotnet-isolated", (string?)config["runtime"]!["name"]);
        Assert.Equal("10.0", (string?)config["runtime"]!["version"]);
        var durable = config["scaleAndConcurrency"]!["alwaysReady"]!.AsArray().Single(g => (string?)g!["name"] == "durable")!;
        Assert.Equal(1, (int?)durable["instanceCount"]);
        Assert.Equal("UserAssigned", (string?)site["identity"]!["type"]);
        Assert.Equal("UserAssignedIdentity", (string?)config["deployment"]!["storage"]!["authentication"]!["type"]);
    }

    [Fact]
    public void Storage_key_vault_event_grid_and_insights_are_locked_down()
    {
        Assert.False((bool?)compiled.Single("Microsoft.Storage/storageAccounts")["properties"]!["allowSharedKeyAccess"]);
        var vault = compiled.Single("Microsoft.KeyVault/vaults")["properties"]!;
        Assert.True((bool?)vault["enablePurgeProtection"]);
        Assert.True((bool?)vault["enableSoftDelete"]);
        Assert.True((bool?)vault["enableRbacAuthorization"]);
        var topic = compiled.Single("Microsoft.EventGrid/topics")["properties"]!;
        Assert.True((bool?)topic["disableLocalAuth"]);
        Assert.Equal("CloudEventSchemaV1_0", (string?)topic["inputSchema"]);
        Assert.True((bool?)compiled.Single("Microsoft.Insights/components")["properties"]!["DisableLocalAuth"]);
        var subscription = compiled.Single("Microsoft.EventGrid/systemTopics/eventSubscriptions")["properties"]!;
        Assert.Equal("CloudEventSchemaV1_0", (string?)subscription["eventDeliverySchema"]);
        Assert.Equal("StorageQueue", (string?)subscription["deliveryWithResourceIdentity"]!["destination"]!["endpointType"]);
    }

    [Fact]
    public void Every_identity_based_setting_has_its_role_assignment()
    {
        var settings = compiled.Single("Microsoft.Web/sites")["properties"]!["siteConfig"]!["appSettings"]!.AsArray()
            .ToDictionary(s => (string)s!["name"]!, s => s!["value"]!.ToJsonString());
        Assert.DoesNotContain(settings, s => s.Key.Contains("AccountKey", StringComparison.OrdinalIgnoreCase) || s.Value.Contains("AccountKey=", StringComparison.Ordinal) || s.Value.Contains("listKeys", StringComparison.Ordinal));

        var required = new List<string>();
        foreach (var connection in settings.Keys.Where(k => k.EndsWith("__credential", StringComparison.Ordinal)).Select(k => k[..^"__credential".Length]))
        {
            Assert.Equal("\"managedidentity\"", settings[$"{connection}__credential"]);
            Assert.True(settings.ContainsKey($"{connection}__clientId"), $"{connection} names no client id");
            if (settings.ContainsKey($"{connection}__blobServiceUri"))
                required.Add("Storage Blob Data Owner");
            if (settings.ContainsKey($"{connection}__queueServiceUri"))
                required.Add("Storage Queue Data Contributor");
            if (settings.ContainsKey($"{connection}__tableServiceUri"))
                required.Add("Storage Table Data Contributor");
        }

        if (settings.ContainsKey("APPLICATIONINSIGHTS_AUTHENTICATION_STRING"))
            required.Add("Monitoring Metrics Publisher");
        if (settings.ContainsKey("Rotation__KeyVaultUri"))
            required.AddRange(["Key Vault Certificates Officer", "Key Vault Crypto User", "Key Vault Secrets User"]);
        if (settings.ContainsKey("Rotation__EventGridTopicEndpoint"))
            required.Add("EventGrid Data Sender");
        Assert.Contains("Storage Queue Data Contributor", required);
        Assert.Contains("Key Vault Crypto User", required);

        // The role ids the templates that hold role assignments grant (directly or through their role-id variables).
        var assigning = compiled.Resources().Where(r => (string?)r.Resource["type"] == "Microsoft.Authorization/roleAssignments").ToList();
        Assert.All(assigning, r => Assert.StartsWith("[guid(", (string?)r.Resource["name"], StringComparison.Ordinal));
        var granted = assigning.Select(r => r.Template).Distinct().SelectMany(t => Regex.Matches(t.ToJsonString(), "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").Select(m => m.Value)).ToHashSet();
        foreach (var role in required.Distinct())
            Assert.True(granted.Contains(RoleIds[role]), $"no assignment of {role} ({RoleIds[role]}) for a setting that needs it");
        Assert.Contains(RoleIds["Storage Queue Data Message Sender"], granted); // Event Grid's delivery to the queue
    }

    [Fact]
    public void No_output_carries_a_secret()
    {
        var outputs = new List<KeyValuePair<string, JsonNode?>>();
        outputs.AddRange(compiled.Template["outputs"]!.AsObject());
        foreach (var (resource, _) in compiled.Resources().Where(r => (string?)r.Resource["type"] == "Microsoft.Resources/deployments"))
        {
            if (resource["properties"]?["template"]?["outputs"] is JsonObject nested)
                outputs.AddRange(nested);
        }

        Assert.NotEmpty(outputs);
        foreach (var (name, output) in outputs)
        {
            var text = output!.ToJsonString();
            Assert.DoesNotMatch("(?i)(secret|password|key$|connectionstring)", name);
            Assert.DoesNotMatch("(?i)(listKeys|listSecrets|ConnectionString|instrumentationKey)", text);
        }
    }

    [Fact]
    public async Task A_template_with_a_wrong_property_and_a_wrong_api_version_fails_the_same_check()
    {
        using var copy = new Rotation.Testing.TempDirectory("rotation-bicep-broken");
        CopyDirectory(Path.Combine(TestPaths.RepositoryRoot, "bicep"), copy.Path);
        var vault = Path.Combine(copy.Path, "modules", "keyvault.bicep");
        var text = await File.ReadAllTextAsync(vault);
        text = text.Replace("enablePurgeProtection: true", "enablePurgeProtection: true\n    enablePurgeProtecton: true", StringComparison.Ordinal)
            .Replace("Microsoft.KeyVault/vaults@2024-11-01", "Microsoft.KeyVault/vaults@2019-13-45", StringComparison.Ordinal);
        await File.WriteAllTextAsync(vault, text);

        var (build, lint) = await BicepCli.BuildAndLintAsync(Path.Combine(copy.Path, "main.bicep"));

        var diagnostics = build.Diagnostics.Concat(lint.Diagnostics).ToList();
        Assert.NotEmpty(diagnostics);
        Assert.Contains(diagnostics, d => d.Contains("BCP081", StringComparison.Ordinal) || d.Contains("2019-13-45", StringComparison.Ordinal));
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
