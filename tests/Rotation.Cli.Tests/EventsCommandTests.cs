using System.Text.Json;
using Rotation.Cli.Tests.Support;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>rotation events: the outbox shown, published to a CloudEvents webhook, and the states it goes through.</summary>
public sealed class EventsCommandTests : IAsyncLifetime, IDisposable
{
    private const string Domain = "mesh.example.internal";
    private readonly TempDirectory _temp = new("rotation-cli");
    private readonly CliRunner _cli;
    private CloudEventsWebhook _hook = null!;

    public EventsCommandTests() => _cli = new CliRunner(_temp.File("home"));

    public async Task InitializeAsync() => _hook = await CloudEventsWebhook.StartAsync();

    public async Task DisposeAsync() => await _hook.DisposeAsync();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Scanned_events_are_listed_pending_then_published_to_a_webhook_and_listed_delivered()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        var scan = await _cli.SucceedAsync("scan", "--at", CliRunner.Epoch.AddDays(400).ToString("O"), "--json");
        var scanned = JsonDocument.Parse(scan.StdOut).RootElement.EnumerateArray().Select(e => e.GetProperty("id").GetString()).ToList();

        var pending = JsonDocument.Parse((await _cli.SucceedAsync("events", "--pending", "--json")).StdOut).RootElement;
        var published = await _cli.SucceedAsync("events", "publish", "--to", $"webhook:{_hook.Endpoint}");
        var afterPending = JsonDocument.Parse((await _cli.SucceedAsync("events", "--pending", "--json")).StdOut).RootElement;
        var all = JsonDocument.Parse((await _cli.SucceedAsync("events", "--json")).StdOut).RootElement;

        Assert.NotEmpty(scanned);
        Assert.Equal(scanned, pending.EnumerateArray().Select(e => e.GetProperty("event").GetProperty("id").GetString()));
        Assert.All(pending.EnumerateArray(), e => Assert.Equal("pending", e.GetProperty("state").GetString()));
        Assert.StartsWith($"{scanned.Count} delivered to webhook:{_hook.Endpoint}", published.StdOut);
        Assert.Equal(scanned, _hook.Received);
        Assert.Empty(afterPending.EnumerateArray());
        Assert.All(all.EnumerateArray(), e => Assert.Equal("delivered", e.GetProperty("state").GetString()));
        Assert.Empty(JsonDocument.Parse((await _cli.SucceedAsync("events", "--failed", "--json")).StdOut).RootElement.EnumerateArray());
    }

    [Fact]
    public async Task A_sink_that_is_not_eventgrid_or_webhook_is_a_usage_error_and_changes_nothing()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);

        var result = await _cli.RunAsync("events", "publish", "--to", "kafka:https://broker.example");
        var both = await _cli.RunAsync("events", "--pending", "--failed");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--to 'kafka:https://broker.example' is not eventgrid:URL or webhook:URL", result.StdErr, StringComparison.Ordinal);
        Assert.Equal(2, both.ExitCode);
        Assert.Empty(_hook.Received);
    }
}
