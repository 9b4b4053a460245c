using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

using Rotation.Testing;

namespace Rotation.Functions.Tests.Telemetry;

/// <summary>
/// Application Insights' ingestion endpoint on loopback HTTPS, as the Azure Monitor exporter calls it: POST
/// {IngestionEndpoint}/v2.1/track with newline-delimited JSON telemetry items (gzip when Content-Encoding says so),
/// answered 200 with {itemsReceived, itemsAccepted, errors[{index, statusCode, message}]}, the body the exporter
/// parses (Azure/azure-sdk-for-net@38a5a2dd sdk/monitor/Azure.Monitor.OpenTelemetry.Exporter/src/Internals/
/// IngestionResponseHelper.cs). A request without the expected bearer token gets 401, as Entra-only ingestion does.
/// The real exporter is the judge of the shapes.
/// </summary>
public sealed class IngestionTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<JsonElement> _items = new();
    private readonly ConcurrentQueue<string> _authorizations = new();

    private IngestionTestServer(WebApplication app, string bearerToken)
    {
        _app = app;
        BearerToken = bearerToken;
    }

    public string BearerToken { get; }

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Every telemetry item accepted, in arrival order.</summary>
    public IReadOnlyList<JsonElement> Items => [.. _items];

    /// <summary>The Authorization header of every request (accepted or not).</summary>
    public IReadOnlyList<string> Authorizations => [.. _authorizations];

    public static async Task<IngestionTestServer> StartAsync(LoopbackTls tls, string bearerToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(tls.ServerCertificate)));
        var app = builder.Build();
        var server = new IngestionTestServer(app, bearerToken);
        app.MapPost("/v2.1/track", (Delegate)server.TrackAsync);
        await app.StartAsync();
        server.Endpoint = new Uri($"https://localhost:{new Uri(app.Urls.First()).Port}/");
        return server;
    }

    /// <summary>Items carrying a metric of this name: (properties, value) per item.</summary>
    public IReadOnlyList<(IReadOnlyDictionary<string, string> Properties, double Value, string InstrumentationKey)> Metric(string name)
    {
        var found = new List<(IReadOnlyDictionary<string, string>, double, string)>();
        foreach (var item in Items)
        {
            if (!item.TryGetProperty("data", out var data) || !data.TryGetProperty("baseData", out var baseData) || !baseData.TryGetProperty("metrics", out var metrics))
                continue;
            var properties = baseData.TryGetProperty("properties", out var p)
                ? p.EnumerateObject().ToDictionary(e => e.Name, e => e.Value.GetString() ?? string.Empty)
                : [];
            foreach (var metric in metrics.EnumerateArray().Where(m => m.GetProperty("name").GetString() == name))
                found.Add((properties, metric.GetProperty("value").GetDouble(), item.GetProperty("iKey").GetString() ?? string.Empty));
        }

        return found;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task<IResult> TrackAsync(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        _authorizations.Enqueue(authorization);
        if (authorization != $"Bearer {BearerToken}")
            return Results.Json(new { itemsReceived = 0, itemsAccepted = 0, errors = new[] { new { index = 0, statusCode = 401, message = "Authorization token is missing or invalid" } } }, statusCode: 401);

        Stream body = context.Request.Body;
        if (string.Equals(context.Request.Headers.ContentEncoding.ToString(), "gzip", StringComparison.OrdinalIgnoreCase))
            body = new GZipStream(body, CompressionMode.Decompress);
        using var reader = new StreamReader(body);
        var received = 0;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length == 0)
                continue;
            using var document = JsonDocument.Parse(line);
            _items.Enqueue(document.RootElement.Clone());
            received++;
        }

        return Results.Json(new { itemsReceived = received, itemsAccepted = received, errors = Array.Empty<object>() });
    }
}
