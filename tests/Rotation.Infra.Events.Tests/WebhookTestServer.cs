using System.Collections.Concurrent;
using System.Net;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Rotation.Infra.Events.Tests;

/// <summary>
/// A CloudEvents HTTP webhook receiver on loopback HTTPS: answers the abuse-protection handshake (CloudEvents
/// http-webhook.md v1.0 §4.1: OPTIONS with WebHook-Request-Origin, grant with WebHook-Allowed-Origin) only for the
/// origins it allows, refuses deliveries that did not pass it, and decodes structured and batched requests with the
/// CNCF CloudEvents SDK.
/// </summary>
public sealed class WebhookTestServer : IAsyncDisposable
{
    private static readonly JsonEventFormatter Formatter = new();
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<CloudEvent> _received = new();
    private readonly ConcurrentQueue<string> _contentTypes = new();
    private readonly ConcurrentDictionary<string, bool> _granted = new(StringComparer.OrdinalIgnoreCase);
    private int _posts;

    private WebhookTestServer(WebApplication app) => _app = app;

    /// <summary>Origins the receiver consents to; "*" grants any.</summary>
    public HashSet<string> AllowedOrigins { get; } = new(StringComparer.OrdinalIgnoreCase);

    public int FailEvery { get; set; }

    public Uri Endpoint { get; private set; } = null!;

    public IReadOnlyList<CloudEvent> Received => [.. _received];

    public IReadOnlyList<string> ContentTypes => [.. _contentTypes];

    public int Handshakes { get; private set; }

    public static async Task<WebhookTestServer> StartAsync(LoopbackTls tls)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(tls.ServerCertificate)));
        var app = builder.Build();
        var server = new WebhookTestServer(app);
        app.MapMethods("/hooks/rotation", ["OPTIONS"], (Delegate)server.Handshake);
        app.MapPost("/hooks/rotation", (Delegate)server.ReceiveAsync);
        await app.StartAsync();
        server.Endpoint = new Uri($"https://localhost:{new Uri(app.Urls.First()).Port}/hooks/rotation");
        return server;
    }

    private IResult Handshake(HttpContext context)
    {
        Handshakes++;
        var origin = context.Request.Headers["WebHook-Request-Origin"].ToString();
        if (origin.Length == 0)
        {
            return Results.StatusCode(400);
        }

        context.Response.Headers.Allow = "POST";
        if (AllowedOrigins.Contains("*") || AllowedOrigins.Contains(origin))
        {
            _granted[origin] = true;
            context.Response.Headers["WebHook-Allowed-Origin"] = origin;
        }

        return Results.Ok();
    }

    private async Task<IResult> ReceiveAsync(HttpContext context)
    {
        var number = Interlocked.Increment(ref _posts);
        if (!_granted.ContainsKey(context.Request.Headers.Origin.ToString()))
        {
            return Results.StatusCode(403);
        }

        var contentType = context.Request.ContentType ?? string.Empty;
        _contentTypes.Enqueue(contentType);
        if (FailEvery > 0 && number % FailEvery == 0)
        {
            return Results.StatusCode(503);
        }

        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var mime = new System.Net.Mime.ContentType(contentType);
        IReadOnlyList<CloudEvent> events = contentType.StartsWith("application/cloudevents-batch+json", StringComparison.OrdinalIgnoreCase)
            ? Formatter.DecodeBatchModeMessage(body.ToArray(), mime, null)
            : contentType.StartsWith("application/cloudevents+json", StringComparison.OrdinalIgnoreCase)
                ? [Formatter.DecodeStructuredModeMessage(body.ToArray(), mime, null)]
                : [];
        if (events.Count == 0)
        {
            return Results.StatusCode(415);
        }

        foreach (var cloudEvent in events)
        {
            if (!cloudEvent.IsValid)
            {
                return Results.StatusCode(400);
            }

            _received.Enqueue(cloudEvent);
        }

        return Results.Ok();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
