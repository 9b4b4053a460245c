using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Rotation.Cli.Tests.Support;

/// <summary>A CloudEvents HTTP webhook on loopback (validation handshake and batched JSON), recording the event ids it took.</summary>
public sealed class CloudEventsWebhook : IAsyncDisposable
{
    private readonly WebApplication _app;

    private CloudEventsWebhook(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    public ConcurrentQueue<string> Received { get; } = new();

    public static async Task<CloudEventsWebhook> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        CloudEventsWebhook? hook = null;
        app.MapMethods("/hook", ["OPTIONS"], (HttpContext http) =>
        {
            http.Response.Headers["WebHook-Allowed-Origin"] = http.Request.Headers["WebHook-Request-Origin"].ToString();
            return Results.Ok();
        });
        app.MapPost("/hook", async (HttpContext http) =>
        {
            using var body = await JsonDocument.ParseAsync(http.Request.Body);
            foreach (var cloudEvent in body.RootElement.EnumerateArray())
            {
                hook!.Received.Enqueue(cloudEvent.GetProperty("id").GetString()!);
            }

            return Results.Ok();
        });
        await app.StartAsync();
        hook = new CloudEventsWebhook(app, new Uri($"http://127.0.0.1:{new Uri(app.Urls.First()).Port}/hook"));
        return hook;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
