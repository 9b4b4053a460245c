using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker.Extensions.DurableTask.Execution;
using Microsoft.DurableTask;
using Rotation.Functions.Orchestrations;
using Rotation.Functions.Tests.Support;

namespace Rotation.Functions.Tests;

/// <summary>
/// functions.metadata as the Worker SDK wrote it at build: what the Functions host will index. A binding mistake
/// (route, method, schedule, queue, auth level) fails here instead of after a deployment.
/// </summary>
public sealed class FunctionsMetadataTests
{
    public static readonly TheoryData<string, string, string> HttpFunctions = new()
    {
        { "StartRotation", "rotations", "post" },
        { "GetRotation", "rotations/{id}", "get" },
        { "ApproveRotation", "rotations/{id}/approve", "post" },
        { "AbortRotation", "rotations/{id}/abort", "post" },
        { "PlanRotation", "plan", "get" },
        { "Inventory", "inventory", "get" },
        { "Clusters", "clusters/{name?}", "get,post,delete" },
        { "Events", "events", "get" },
    };

    private static JsonArray Metadata()
    {
        var path = Path.Combine(TestPaths.FunctionsOutput, "functions.metadata");
        Assert.True(File.Exists(path), $"the build wrote no {path}");
        return JsonNode.Parse(File.ReadAllText(path))!.AsArray();
    }

    private static JsonNode Trigger(string function)
    {
        var entry = Metadata().SingleOrDefault(f => (string?)f!["name"] == function)
            ?? throw new Xunit.Sdk.XunitException($"functions.metadata has no function '{function}'");
        return entry["bindings"]!.AsArray().Single(b => ((string?)b!["type"])!.EndsWith("Trigger", StringComparison.Ordinal))!;
    }

    [Theory]
    [MemberData(nameof(HttpFunctions))]
    public void Http_functions_have_their_route_methods_and_function_auth_level(string function, string route, string methods)
    {
        var trigger = Trigger(function);
        Assert.Equal("httpTrigger", (string?)trigger["type"]);
        Assert.Equal(route, (string?)trigger["route"]);
        Assert.Equal(methods.Split(','), trigger["methods"]!.AsArray().Select(m => (string?)m).ToArray());
        Assert.Equal("Function", (string?)trigger["authLevel"]);
    }

    [Fact]
    public void Timers_and_the_queue_trigger_are_bound_as_documented()
    {
        var scan = Trigger("ExpiryScan");
        Assert.Equal("timerTrigger", (string?)scan["type"]);
        Assert.Equal("%ExpiryScanSchedule%", (string?)scan["schedule"]);
        var publish = Trigger("PublishEvents");
        Assert.Equal("timerTrigger", (string?)publish["type"]);
        Assert.Equal("0 * * * * *", (string?)publish["schedule"]);
        var watch = Trigger("EstateWatch");
        Assert.Equal("timerTrigger", (string?)watch["type"]);
        Assert.Equal("30 * * * * *", (string?)watch["schedule"]);
        // The estate watch raises events through the client this binding hands over.
        var watchBindings = Metadata().Single(f => (string?)f!["name"] == "EstateWatch")!["bindings"]!.AsArray();
        Assert.Contains(watchBindings, b => (string?)b!["type"] == "durableClient");
        var queue = Trigger("EventQueue");
        Assert.Equal("queueTrigger", (string?)queue["type"]);
        Assert.Equal("rotation-events", (string?)queue["queueName"]);
        Assert.Equal("EventQueue", (string?)queue["connection"]);
    }

    [Fact]
    public void Every_function_in_the_file_is_one_this_test_knows()
    {
        var known = HttpFunctions.Select(row => (string)row[0]).Concat(["ExpiryScan", "PublishEvents", "EstateWatch", "EventQueue"]).Order().ToList();
        var names = Metadata().Select(f => (string)f!["name"]!).Order().ToList();
        Assert.Equal(known, names);
    }

    [Fact]
    public void The_registry_holds_every_task_the_orchestrations_call_by_name()
    {
        // Class-based tasks are not in functions.metadata: the Durable extension adds one function per registry
        // entry when the worker starts (DurableMetadataTransformer), reading the same registry through these calls.
        var registry = new DurableTaskRegistry();
        DurableTasks.Register(registry);
        var orchestrators = registry.GetOrchestrators().Select(o => o.Key.Name).ToHashSet(StringComparer.Ordinal);
        var activities = registry.GetActivities().Select(a => a.Key.Name).ToHashSet(StringComparer.Ordinal);

        Assert.Contains(nameof(RotationOrchestrator), orchestrators);
        // The names the orchestration code schedules (DurableWorkflowContext, RotationStarter), found in its source.
        var source = string.Concat(Directory.GetFiles(Path.Combine(TestPaths.RepositoryRoot, "functions", "Rotation.Functions"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText));
        var called = System.Text.RegularExpressions.Regex.Matches(source, @"CallActivityAsync<(?:[^<>]|<[^<>]*>)+>\(nameof\((\w+)\)").Select(m => m.Groups[1].Value).ToHashSet();
        var scheduled = System.Text.RegularExpressions.Regex.Matches(source, @"ScheduleNewOrchestrationInstanceAsync\(\s*nameof\((\w+)\)").Select(m => m.Groups[1].Value).ToHashSet();
        Assert.NotEmpty(called);
        Assert.NotEmpty(scheduled);
        Assert.All(called, name => Assert.Contains(name, activities));
        Assert.All(scheduled, name => Assert.Contains(name, orchestrators));
        Assert.Equal(called.Order(), activities.Order());
    }
}
