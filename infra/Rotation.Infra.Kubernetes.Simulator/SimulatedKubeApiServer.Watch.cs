using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Rotation.Infra.Kubernetes.Simulator.Api;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator;

/// <summary>
/// <c>GET …?watch=true</c>, as the API server serves it (kubernetes/kubernetes 034debc18008c8ebfe1971d7d402dcf2b50b84c2
/// staging/src/k8s.io/apiserver/pkg/endpoints/handlers/watch.go <c>HandleHTTP</c>: 200 with
/// <c>application/json;stream=watch</c>, headers flushed at once, then one JSON object per line,
/// <c>{"type": ADDED|MODIFIED|DELETED|BOOKMARK|ERROR, "object": …}</c>; staging/src/k8s.io/apiserver/pkg/storage/cacher
/// (kubernetes/kubernetes 00f3bd4418723bfd579a3b13ac1f824083ac5942) starts a watch without resourceVersion (or "0") with synthetic ADDED events for the current objects, and one with a
/// resourceVersion from the events after it, or refuses it with 410 Expired "too old resource version" when the
/// window no longer reaches back that far; <c>allowWatchBookmarks=true</c> gets BOOKMARK events whose object carries
/// only the kind and metadata.resourceVersion; <c>timeoutSeconds</c> ends the stream). Label and field selectors
/// filter as for list. A watch is a long-running request: it does not count against MaxRequestsInFlight.
/// </summary>
public sealed partial class SimulatedKubeApiServer
{
    private async Task ServeWatchAsync(HttpContext context, ApiRequestInfo request, DateTimeOffset at)
    {
        Interlocked.Decrement(ref _inFlight);
        try
        {
            await StreamWatchAsync(context, request, at);
        }
        finally
        {
            Interlocked.Increment(ref _inFlight);
        }
    }

    private async Task StreamWatchAsync(HttpContext context, ApiRequestInfo request, DateTimeOffset at)
    {
        if (request.Kind is not { } kind || request.Name is not null)
        {
            await RefuseWatchAsync(context, request, at, 404, ApiStatus.Failure(404, "NotFound", "the server could not find the requested resource"));
            return;
        }

        if (!Access.IsAllowed("watch", request.Group, request.Resource, request.Namespace))
        {
            await RefuseWatchAsync(context, request, at, 403, ApiStatus.Failure(403, "Forbidden", AccessPolicy.ForbiddenMessage(request), kind, null));
            return;
        }

        LabelSelector labels;
        FieldSelector fields;
        try
        {
            labels = LabelSelector.Parse(request.QueryValue("labelSelector"));
            fields = FieldSelector.Parse(request.QueryValue("fieldSelector"), kind);
        }
        catch (KubeApiException e)
        {
            await RefuseWatchAsync(context, request, at, e.Code, ApiStatus.From(e));
            return;
        }

        bool Matches(ObjectChangedEventArgs change) =>
            change.Kind == kind
            && (request.Namespace is null || change.Namespace == request.Namespace)
            && change.Object is { } obj && labels.Matches(KubeObjects.Labels(obj)) && fields.Matches(obj);

        var fromText = request.QueryValue("resourceVersion");
        IReadOnlyList<string> initial;
        System.Threading.Channels.ChannelReader<ObjectChangedEventArgs> live;
        if (string.IsNullOrEmpty(fromText) || fromText == "0")
        {
            live = Watches.SubscribeFromNow();
            var current = Store.List(kind, request.Namespace, o => labels.Matches(KubeObjects.Labels(o)) && fields.Matches(o));
            initial = current.Items.Select(o => WatchHistory.EventLine("ADDED", o)).ToList();
        }
        else if (!long.TryParse(fromText, NumberStyles.None, CultureInfo.InvariantCulture, out var from))
        {
            await RefuseWatchAsync(context, request, at, 400, ApiStatus.Failure(400, "BadRequest", $"invalid resource version \"{fromText}\""));
            return;
        }
        else if (Watches.Subscribe(from, out var oldest) is { } started)
        {
            live = started.Live;
            initial = started.Past.Where(Matches).Select(e => WatchHistory.EventLine(WatchHistory.TypeOf(e.Type), e.Object)).ToList();
        }
        else
        {
            // watch_cache.go getAllEventsSinceLocked: errors.NewResourceExpired → 410, reason Expired.
            await RefuseWatchAsync(context, request, at, 410, ApiStatus.Failure(410, "Expired", $"too old resource version: {from} ({oldest})"));
            return;
        }

        Requests.Add(new RecordedRequest(request, 200, null, at));
        var timeout = int.TryParse(request.QueryValue("timeoutSeconds"), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : Timeout.InfiniteTimeSpan;
        var bookmarks = request.QueryValue("allowWatchBookmarks") == "true";
        using var ends = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        if (timeout != Timeout.InfiniteTimeSpan)
            ends.CancelAfter(timeout);

        try
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json;stream=watch";
            await context.Response.Body.FlushAsync(ends.Token);
            foreach (var line in initial)
                await context.Response.WriteAsync(line, ends.Token);
            await context.Response.Body.FlushAsync(ends.Token);

            while (true)
            {
                var next = live.WaitToReadAsync(ends.Token).AsTask();
                var tick = bookmarks ? Task.Delay(_options.BookmarkInterval, ends.Token) : Task.Delay(Timeout.Infinite, ends.Token);
                var first = await Task.WhenAny(next, tick);
                if (first == next)
                {
                    if (!await next)
                        break;   // dropped: the stream ends as when an API server restarts
                    while (live.TryRead(out var change))
                    {
                        if (Matches(change))
                            await context.Response.WriteAsync(WatchHistory.EventLine(WatchHistory.TypeOf(change.Type), change.Object), ends.Token);
                    }
                }
                else
                {
                    await tick;
                    var bookmark = new JsonObject
                    {
                        ["kind"] = kind.Kind,
                        ["apiVersion"] = kind.ApiVersion,
                        ["metadata"] = new JsonObject { ["resourceVersion"] = Store.CurrentResourceVersion },
                    };
                    await context.Response.WriteAsync(WatchHistory.EventLine("BOOKMARK", bookmark), ends.Token);
                }

                await context.Response.Body.FlushAsync(ends.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // timeoutSeconds elapsed or the client went away: the stream just ends.
        }
        finally
        {
            Watches.Unsubscribe(live);
        }
    }

    private async Task RefuseWatchAsync(HttpContext context, ApiRequestInfo request, DateTimeOffset at, int code, JsonObject status)
    {
        Requests.Add(new RecordedRequest(request, code, null, at));
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(status.ToJsonString(), context.RequestAborted);
    }
}
