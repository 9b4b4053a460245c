using System.Text.Json.Nodes;
using NJsonSchema;
using Rotation.Functions.Tests.Support;

namespace Rotation.Functions.Tests;

/// <summary>
/// The repository's host.json (the file the Functions project links and deploys) against the host.json JSON schema
/// (Schemas/host.schema.json, see Schemas/SOURCE.md), and the values docs/functions.md promises.
/// </summary>
public sealed class HostJsonTests
{
    private static string HostJsonPath => Path.Combine(TestPaths.RepositoryRoot, "host.json");

    [Fact]
    public async Task Host_json_is_valid_against_the_host_json_schema()
    {
        var schema = await JsonSchema.FromFileAsync(Path.Combine(AppContext.BaseDirectory, "Schemas", "host.schema.json"));
        var errors = schema.Validate(await File.ReadAllTextAsync(HostJsonPath));
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors.Select(e => $"{e.Path}: {e.Kind}")));
    }

    [Fact]
    public async Task The_schema_check_fails_a_host_json_with_a_wrong_setting()
    {
        // The control: the same check must catch a typo and a wrong type, or the test above proves nothing.
        var schema = await JsonSchema.FromFileAsync(Path.Combine(AppContext.BaseDirectory, "Schemas", "host.schema.json"));
        var broken = JsonNode.Parse(await File.ReadAllTextAsync(HostJsonPath))!;
        broken["extensions"]!["durableTask"]!["maxConcurrentActivityFunction"] = 16;
        broken["extensions"]!["queues"]!["batchSize"] = "eight";
        var errors = schema.Validate(broken.ToJsonString());
        Assert.NotEmpty(errors);
    }

    [Fact]
    public async Task Host_json_has_the_values_the_docs_promise()
    {
        var host = JsonNode.Parse(await File.ReadAllTextAsync(HostJsonPath))!;
        Assert.Equal("2.0", (string?)host["version"]);
        Assert.Equal("00:30:00", (string?)host["functionTimeout"]);
        var durable = host["extensions"]!["durableTask"]!;
        // Task hub from an app setting, so two environments sharing a storage account never collide.
        Assert.Equal("%ROTATION_TASK_HUB%", (string?)durable["hubName"]);
        Assert.Equal(16, (int?)durable["maxConcurrentActivityFunctions"]);
        Assert.Equal(8, (int?)durable["maxConcurrentOrchestratorFunctions"]);
        Assert.True((bool?)durable["useGracefulShutdown"]);
        // Flex Consumption: poll Durable's queues at most every 5 s (docs recommend <= 10 s on Flex).
        Assert.Equal("00:00:05", (string?)durable["storageProvider"]!["maxQueuePollingInterval"]);
        Assert.False((bool?)durable["tracing"]!["traceInputsAndOutputs"]);
        var queues = host["extensions"]!["queues"]!;
        Assert.Equal("00:00:05", (string?)queues["maxPollingInterval"]);
        Assert.Equal(5, (int?)queues["maxDequeueCount"]);
        Assert.Equal("base64", (string?)queues["messageEncoding"]);
        Assert.Equal("api", (string?)host["extensions"]!["http"]!["routePrefix"]);
        var levels = host["logging"]!["logLevel"]!;
        Assert.Equal("Warning", (string?)levels["DurableTask.Core"]);
        Assert.Equal("Warning", (string?)levels["DurableTask.AzureStorage"]);
    }

    [Fact]
    public void The_build_output_carries_the_same_host_json()
    {
        var deployed = Path.Combine(TestPaths.FunctionsOutput, "host.json");
        Assert.True(File.Exists(deployed), $"no host.json in {TestPaths.FunctionsOutput}");
        Assert.Equal(File.ReadAllText(HostJsonPath), File.ReadAllText(deployed));
    }
}
