using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Rotation.Testing.Events;

/// <summary>
/// An Event Grid topic's publish endpoint on loopback HTTPS, shaped from the data-plane REST spec
/// (Azure/azure-rest-api-specs@ed41db4d specification/eventgrid/data-plane/EventGrid/stable/2018-01-01/EventGrid.json,
/// operation PublishCloudEventEvents): POST with query api-version, body a JSON array of CloudEvents whose required
/// attributes are type, specversion, source and id, content type application/cloudevents-batch+json; 200 on success;
/// 400, 401, 404, 413, 429, 500 as error responses. Auth is the topic key in aeg-sas-key or an Entra bearer token.
/// Requests over 1 MB get 413 (learn.microsoft.com/azure/event-grid/event-schema). The real EventGridPublisherClient is
/// the judge of the shapes. Faults on demand: every Nth request fails with 503 or 429, optionally after recording its
/// events (a response lost after the topic took them, which is what makes subscribers see duplicates).
/// </summary>
public sealed class EventGridTestServer : IAsyncDisposable
{
    public const string TopicPath = "/api/events";
    private const int MaxRequestBytes = 1_048_576;

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<JsonElement> _received = new();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private int _requestCount;

    private EventGridTestServer(WebApplication app) => _app = app;

    public string? Key { get; init; }
    public string? BearerToken { get; init; }

    /// <summary>Every Nth publish request fails (0 = never).</summary>
    public int FailEvery { get; set; }

    public HttpStatusCode FailWith { get; set; } = HttpStatusCode.ServiceUnavailable;

    /// <summary>Record the events of a failing request before failing it (the response was lost, the events were not).</summary>
    public bool RecordBeforeFailing { get; set; }

    /// <summary>Events of this type make the whole request a 400, as a malformed event would.</summary>
    public string? RejectType { get; set; }

    public Uri TopicEndpoint { get; private set; } = null!;

    /// <summary>Every event the topic accepted, in arrival order (duplicates included).</summary>
    public IReadOnlyList<JsonElement> Received => [.. _received];

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    public static async Task<EventGridTestServer> StartAsync(LoopbackTls tls, string? key = null, string? bearerToken = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = 4 * MaxRequestBytes;
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(tls.ServerCertificate);
            });
        });
        var app = builder.Build();
        var server = new EventGridTestServer(app) { Key = key, BearerToken = bearerToken };
        app.MapPost(TopicPath, (Delegate)server.PublishAsync);
        await app.StartAsync();
        var port = new Uri(app.Urls.First()).Port;
        server.TopicEndpoint = new Uri($"https://localhost:{port}{TopicPath}");
        return server;
    }

    private async Task<IResult> PublishAsync(HttpContext context)
    {
        var number = Interlocked.Increment(ref _requestCount);
        var request = context.Request;
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body);
        _requests.Enqueue(new RecordedRequest(
            number,
            request.Query["api-version"].ToString(),
            request.ContentType ?? string.Empty,
            request.Headers.ContainsKey("aeg-sas-key") ? "aeg-sas-key" : request.Headers.Authorization.ToString().Split(' ')[0],
            (int)body.Length));

        if (string.IsNullOrEmpty(request.Query["api-version"]))
        {
            return Error(400, "BadRequest", "The request is missing the api-version query parameter.");
        }

        if (!Authorized(request))
        {
            return Error(401, "Unauthorized", "The request authorization key is not authorized for this topic.");
        }

        if (!(request.ContentType ?? string.Empty).StartsWith("application/cloudevents-batch+json", StringComparison.OrdinalIgnoreCase))
        {
            return Error(400, "BadRequest", $"Content type '{request.ContentType}' is not application/cloudevents-batch+json.");
        }

        if (body.Length > MaxRequestBytes)
        {
            return Error(413, "RequestEntityTooLarge", $"The maximum size ({MaxRequestBytes}) has been exceeded.");
        }

        List<JsonElement> events;
        try
        {
            using var document = JsonDocument.Parse(body.ToArray());
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                return Error(400, "BadRequest", "The body must be a JSON array of CloudEvents.");
            }

            events = [.. document.RootElement.EnumerateArray().Select(e => e.Clone())];
        }
        catch (JsonException ex)
        {
            return Error(400, "BadRequest", $"The body is not JSON: {ex.Message}");
        }

        foreach (var cloudEvent in events)
        {
            if (MissingRequired(cloudEvent) is { } missing)
            {
                return Error(400, "BadRequest", missing);
            }

            if (RejectType is not null && cloudEvent.GetProperty("type").GetString() == RejectType)
            {
                return Error(400, "BadRequest", $"Event '{cloudEvent.GetProperty("id").GetString()}' is not valid.");
            }
        }

        var fail = FailEvery > 0 && number % FailEvery == 0;
        if (!fail || RecordBeforeFailing)
        {
            foreach (var cloudEvent in events)
            {
                _received.Enqueue(cloudEvent);
            }
        }

        if (fail)
        {
            if (FailWith == HttpStatusCode.TooManyRequests)
            {
                context.Response.Headers.RetryAfter = "0";
            }

            return Error((int)FailWith, FailWith.ToString(), "Injected failure.");
        }

        return Results.Ok();
    }

    private bool Authorized(HttpRequest request)
    {
        if (Key is not null && request.Headers.TryGetValue("aeg-sas-key", out var key))
        {
            return key == Key;
        }

        return BearerToken is not null && request.Headers.Authorization.ToString() == $"Bearer {BearerToken}";
    }

    private static string? MissingRequired(JsonElement cloudEvent)
    {
        foreach (var attribute in new[] { "specversion", "id", "source", "type" })
        {
            if (!cloudEvent.TryGetProperty(attribute, out var value) || value.ValueKind != JsonValueKind.String || value.GetString()!.Length == 0)
            {
                return $"Required CloudEvents attribute '{attribute}' is missing.";
            }
        }

        return cloudEvent.GetProperty("specversion").GetString() == "1.0" ? null : "Only CloudEvents specversion 1.0 is supported.";
    }

    private static IResult Error(int status, string code, string message) =>
        Results.Json(new { error = new { code, message } }, statusCode: status);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public sealed record RecordedRequest(int Number, string ApiVersion, string ContentType, string AuthScheme, int Bytes);
}
