using System.Text.Json.Nodes;
using Rotation.Functions.Tests.Support;

namespace Rotation.Functions.Tests;

/// <summary>
/// Alert subscribers in bicep/modules/eventgrid.bicep: queues delivered with the topic's own identity, webhooks with a
/// secure URL, both filtered on data.layer and data.expiryState (the fields every expiry event carries).
/// </summary>
public sealed class AlertSubscriberTemplateTests(CompiledTemplate compiled) : IClassFixture<CompiledTemplate>
{
    private const string QueueDataMessageSender = "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a";

    private static string ExampleParameters => Path.Combine(TestPaths.RepositoryRoot, "bicep", "alerts.example.bicepparam");

    [Fact]
    public void Queue_subscribers_are_delivered_with_the_topic_identity_which_may_only_send_to_their_queues()
    {
        var topic = compiled.Single("Microsoft.EventGrid/topics");
        Assert.Equal("SystemAssigned", (string?)topic["identity"]?["type"]);

        var (subscriptions, _) = Copy("queueSubscriptions");
        var delivery = subscriptions["properties"]!["deliveryWithResourceIdentity"]!;
        Assert.Equal("SystemAssigned", (string?)delivery["identity"]!["type"]);
        Assert.Equal("StorageQueue", (string?)delivery["destination"]!["endpointType"]);
        Assert.Null(subscriptions["properties"]!["destination"]);

        var (sender, _) = Copy("subscriberQueueSender");
        Assert.Contains(QueueDataMessageSender, (string?)sender["properties"]!["roleDefinitionId"], StringComparison.Ordinal);
        Assert.Contains("reference('topic'", (string?)sender["properties"]!["principalId"], StringComparison.Ordinal);
        Assert.Contains("alertQueues')[copyIndex()].storageAccount", (string?)sender["scope"], StringComparison.Ordinal);
        // The subscription is created only after its identity may write: Event Grid checks delivery at create time.
        Assert.Contains(subscriptions["dependsOn"]!.AsArray(), d => ((string?)d)!.Contains("subscriberQueueSender", StringComparison.Ordinal));
    }

    [Fact]
    public void Webhook_urls_are_secure_values_and_entra_authentication_is_passed_through()
    {
        var hook = compiled.Template["definitions"]!["webhookSubscriber"]!["properties"]!;
        Assert.Equal("securestring", (string?)hook["endpointUrl"]!["type"]);

        var (subscriptions, _) = Copy("webhookSubscriptions");
        var destination = subscriptions["properties"]!["destination"]!;
        Assert.Equal("WebHook", (string?)destination["endpointType"]);
        Assert.Contains("entraApplicationIdOrUri", (string?)destination["properties"]!["azureActiveDirectoryApplicationIdOrUri"], StringComparison.Ordinal);
        Assert.Contains("entraTenantId", (string?)destination["properties"]!["azureActiveDirectoryTenantId"], StringComparison.Ordinal);
    }

    [Fact]
    public void Both_kinds_filter_on_event_type_layer_and_expiry_state()
    {
        foreach (var name in new[] { "queueSubscriptions", "webhookSubscriptions" })
        {
            var (subscriptions, _) = Copy(name);
            var filter = (string?)subscriptions["properties"]!["filter"];
            Assert.Contains("subscriberFilter(", filter, StringComparison.Ordinal);
            Assert.Contains("'layers'", filter, StringComparison.Ordinal);
            Assert.Contains("'expiryStates'", filter, StringComparison.Ordinal);
        }

        var function = compiled.Resources().Select(r => r.Template).Distinct()
            .Select(t => t["functions"]?.ToJsonString()).Single(f => f is not null && f.Contains("subscriberFilter", StringComparison.Ordinal))!;
        Assert.Contains("data.layer", function, StringComparison.Ordinal);
        Assert.Contains("data.expiryState", function, StringComparison.Ordinal);
        Assert.Contains("StringIn", function, StringComparison.Ordinal);
        Assert.Contains("includedEventTypes", function, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_example_parameters_build_and_a_layer_the_events_never_carry_is_refused()
    {
        var good = await BicepCli.RunAsync("build-params", ExampleParameters, "--stdout");
        Assert.True(good.ExitCode == 0, good.Stderr);
        Assert.Empty(good.Diagnostics);
        var values = JsonNode.Parse(JsonNode.Parse(good.Stdout)!["parametersJson"]!.GetValue<string>())!["parameters"]!;
        Assert.Equal(["root", "issuing"], values["alertWebhooks"]!["value"]![0]!["layers"]!.AsArray().Select(l => (string)l!));

        using var copy = new Rotation.Testing.TempDirectory("rotation-bicep-alerts");
        foreach (var file in Directory.GetFiles(Path.Combine(TestPaths.RepositoryRoot, "bicep"), "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy.Path, Path.GetRelativePath(Path.Combine(TestPaths.RepositoryRoot, "bicep"), file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        var bad = Path.Combine(copy.Path, "alerts.example.bicepparam");
        var text = await File.ReadAllTextAsync(bad);
        Assert.Contains("layers: [ 'root', 'issuing' ]", text, StringComparison.Ordinal);
        await File.WriteAllTextAsync(bad, text.Replace("layers: [ 'root', 'issuing' ]", "layers: [ 'root', 'leaf' ]", StringComparison.Ordinal));

        var refused = await BicepCli.RunAsync("build-params", bad, "--stdout");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains(refused.Diagnostics, d => d.Contains("BCP034", StringComparison.Ordinal) && d.Contains("'leaf'", StringComparison.Ordinal));
    }

    /// <summary>The resource loop of that name in the compiled templates, and the template holding it.</summary>
    private (JsonNode Resource, JsonNode Template) Copy(string name) =>
        compiled.Resources().Single(r => (string?)r.Resource["copy"]?["name"] == name);
}
