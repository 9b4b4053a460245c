using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Rotation.Cli.Tests.Support;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>rotation events: the outbox shown, published to a CloudEvents webhook, and the states it goes through.</summary>
public sealed class EventsCommandTests : IAsyncLifetime, IDisposable
{
    private const string Domain = "mesh.example.internal";
    private readonly TempDirectory _temp = new("rotation-cli");
    private readonly CliRunner _cli;
    private readonly ConcurrentQueue<string> _received = new();
    private WebApplication _webhook = null!;
    private Uri _endpoint = null!;

    public EventsCommandTests() => _cli = new CliRunner(_temp.File("home"));

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _webhook = builder.Build();
        _webhook.MapMethods("/hook", ["OPTIONS"], (HttpContext http) =>
        {
            http.Response.Headers["WebHook-Allowed-Origin"] = http.Request.Headers["WebHook-Request-Origin"].ToString();
            return Results.Ok();
        });
        _webhook.MapPost("/hook", async (HttpContext http) =>
        {
            using var body = await JsonDocument.ParseAsync(http.Request.Body);
            foreach (var cloudEvent in body.RootElement.EnumerateArray())
            {
                _received.Enqueue(cloudEvent.GetProperty("id").GetString()!);
            }

            return Results.Ok();
        });
        await _webhook.StartAsync();
        _endpoint = new Uri($"http://127.0.0.1:{new Uri(_webhook.Urls.First()).Port}/hook");
    }

    public async Task DisposeAsync()
    {
        await _webhook.StopAsync();
        await _webhook.DisposeAsync();
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Scanned_events_are_listed_pending_then_published_to_a_webhook_and_listed_delivered()
    {
        await _cli.SucceedAsync("init", "--domain", Domain);
        var scan = await _cli.SucceedAsync("scan", "--at", CliRunner.Epoch.AddDays(400).ToString("O"), "--json");
        var scanned = JsonDocument.Parse(scan.StdOut).RootElement.EnumerateArray().Select(e => e.GetProperty("id").GetString()).ToList();

        var pending = JsonDocument.Parse((await _cli.SucceedAsync("events", "--pending", "--json")).StdOut).RootElement;
        var published = await _cli.SucceedAsync("events", "publish", "--to", $"webhook:{_endpoint}");
        var afterPending = JsonDocument.Parse((await _cli.SucceedAsync("events", "--pending", "--json")).StdOut).RootElement;
        var all = JsonDocument.Parse((await _cli.SucceedAsync("events", "--json")).StdOut).RootElement;

        Assert.NotEmpty(scanned);
        Assert.Equal(scanned, pending.EnumerateArray().Select(e => e.GetProperty("event").GetProperty("id").GetString()));
        Assert.All(pending.EnumerateArray(), e => Assert.Equal("pending", e.GetProperty("state").GetString()));
        Assert.StartsWith($"{scanned.Count} delivered to webhook:{_endpoint}", published.StdOut);
        Assert.Equal(scanned, _received);
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
        Assert.Empty(_received);
    }
}
