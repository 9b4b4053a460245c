using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Api;

/// <summary>The REST semantics of the API server over the object store: one call per request.</summary>
public sealed class KubeApiHandler
{
    private readonly KubeObjectStore _store;
    private readonly ListPager _pager;
    private readonly AccessPolicy _access;

    public KubeApiHandler(KubeObjectStore store, ListPager? pager = null, AccessPolicy? access = null)
    {
        _store = store;
        _pager = pager ?? new ListPager();
        _access = access ?? new AccessPolicy();
    }

    public ApiResponse Handle(ApiRequestInfo request, string? contentType, string body)
    {
        try
        {
            return Dispatch(request, contentType, body);
        }
        catch (KubeApiException e)
        {
            return ApiResponse.Of(e.Code, ApiStatus.From(e));
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or System.Text.Json.JsonException)
        {
            // A body the simulator could not make sense of: answer like the API server does, never drop the request.
            return ApiResponse.Of(400, ApiStatus.Failure(400, "BadRequest", $"the request could not be processed: {e.Message}"));
        }
    }

    private ApiResponse Dispatch(ApiRequestInfo request, string? contentType, string body)
    {
        if (request.IsDiscovery)
        {
            var document = Discovery.For(request);
            if (document is not null && request.Method == "GET")
            {
                return ApiResponse.Of(200, document);
            }

            if (request.Path.TrimEnd('/') is "/healthz" or "/readyz" or "/livez")
            {
                return new ApiResponse(200, "\"ok\"");
            }

            throw NotServed();
        }

        if (request.Group == "authorization.k8s.io" && request.Resource == "selfsubjectaccessreviews" && request.Verb == "create")
        {
            return ReviewAccess(body);
        }

        if (!_access.IsAllowed(request.Verb, request.Group, request.Resource, request.Namespace))
        {
            throw new KubeApiException(403, "Forbidden", AccessPolicy.ForbiddenMessage(request), request.Kind, request.Name);
        }

        var kind = request.Kind ?? throw NotServed();
        if (kind.Namespaced && request.Namespace is null && request.Name is not null)
        {
            throw NotServed();
        }

        if (request.Subresource is not null && (request.Subresource != "status" || !kind.HasStatusSubresource))
        {
            throw NotServed();
        }

        var scope = request.Subresource == "status" ? WriteScope.Status : WriteScope.Main;
        var dryRun = request.QueryValue("dryRun") == "All";
        return request.Verb switch
        {
            "get" => ApiResponse.Of(200, _store.Get(kind, request.Namespace, request.Name!)),
            "list" => List(kind, request),
            "watch" => throw KubeApiException.MethodNotAllowed("watch is not served by the simulated API server; poll with list instead"),
            "create" when request.Name is null => Create(kind, request, body, dryRun),
            "update" when request.Name is not null => ApiResponse.Of(200, _store.Replace(kind, request.Namespace, request.Name, ParseObject(body), scope, dryRun)),
            "patch" when request.Name is not null => Patch(kind, request, contentType, body, scope, dryRun),
            "delete" => Delete(kind, request, body, dryRun),
            "deletecollection" => DeleteCollection(kind, request, dryRun),
            _ => throw KubeApiException.MethodNotAllowed($"the server does not allow this method on the requested resource ({request.Method} {request.Path})"),
        };
    }

    private ApiResponse ReviewAccess(string body)
    {
        var review = ParseObject(body);
        var attributes = review["spec"]?["resourceAttributes"];
        var allowed = _access.IsAllowed(
            KubeObjects.StringAt(attributes, "verb") ?? "",
            KubeObjects.StringAt(attributes, "group") ?? "",
            // RBAC names a subresource as resource/subresource (pods/portforward), which is how Deny takes it.
            (KubeObjects.StringAt(attributes, "resource") ?? "") + (KubeObjects.StringAt(attributes, "subresource") is { Length: > 0 } sub ? "/" + sub : ""),
            KubeObjects.StringAt(attributes, "namespace") is { Length: > 0 } ns ? ns : null);
        review["apiVersion"] = "authorization.k8s.io/v1";
        review["kind"] = "SelfSubjectAccessReview";
        review["status"] = allowed
            ? new JsonObject { ["allowed"] = true, ["reason"] = "allowed by the simulated RBAC" }
            : new JsonObject { ["allowed"] = false, ["reason"] = "denied by the simulated RBAC" };
        return ApiResponse.Of(201, review);
    }

    private ApiResponse Create(ResourceKind kind, ApiRequestInfo request, string body, bool dryRun)
    {
        if (kind.Namespaced && request.Namespace is null)
        {
            throw KubeApiException.MethodNotAllowed($"the server does not allow this method on the requested resource: POST to {kind} needs a namespace");
        }

        return ApiResponse.Of(201, _store.Create(kind, request.Namespace, ParseObject(body), WriteScope.Main, dryRun));
    }

    private ApiResponse List(ResourceKind kind, ApiRequestInfo request)
    {
        var labels = LabelSelector.Parse(request.QueryValue("labelSelector"));
        var fields = FieldSelector.Parse(request.QueryValue("fieldSelector"), kind);
        var limit = ParseLimit(request.QueryValue("limit"));
        var continueToken = request.QueryValue("continue");
        var listKey = $"{kind}|{request.Namespace}|{request.QueryValue("labelSelector")}|{request.QueryValue("fieldSelector")}";

        ListPage page;
        if (!string.IsNullOrEmpty(continueToken))
        {
            page = _pager.Next(continueToken, limit, listKey);
        }
        else
        {
            var result = _store.List(kind, request.Namespace, o => labels.Matches(KubeObjects.Labels(o)) && fields.Matches(o));
            page = _pager.First(result.Items.Select(i => i.ToJsonString()).ToList(), result.ResourceVersion, limit, listKey);
        }

        return new ApiResponse(200, WriteList(kind, page));
    }

    private ApiResponse Patch(ResourceKind kind, ApiRequestInfo request, string? contentType, string body, WriteScope scope, bool dryRun)
    {
        var mediaType = (contentType ?? "").Split(';')[0].Trim().ToLowerInvariant();
        var patch = ParseJson(body);
        switch (mediaType)
        {
            case "application/merge-patch+json":
            case "application/strategic-merge-patch+json":
                var strategic = mediaType.StartsWith("application/strategic", StringComparison.Ordinal);
                return ApiResponse.Of(200, _store.Modify(
                    kind, request.Namespace, request.Name!, current => AsObject(MergePatch.Apply(current, patch, strategic)), scope, dryRun));
            case "application/json-patch+json":
                return ApiResponse.Of(200, _store.Modify(
                    kind, request.Namespace, request.Name!, current => JsonPatch.Apply(current, patch), scope, dryRun));
            case "application/apply-patch+yaml":
            case "application/apply-patch+cbor":
                return Apply(kind, request, patch, scope, dryRun);
            default:
                throw KubeApiException.UnsupportedMediaType(mediaType);
        }
    }

    /// <summary>Server-side apply: create when absent, otherwise merge the applied configuration over the object.</summary>
    private ApiResponse Apply(ResourceKind kind, ApiRequestInfo request, JsonNode? patch, WriteScope scope, bool dryRun)
    {
        var manager = request.QueryValue("fieldManager");
        if (string.IsNullOrEmpty(manager))
        {
            throw KubeApiException.BadRequest("PATCH, application/apply-patch+yaml requests require the fieldManager parameter to be set");
        }

        var applied = patch as JsonObject ?? throw KubeApiException.BadRequest("an apply body must be a JSON object (the simulator reads JSON apply bodies, which is what KubernetesClient sends)");
        if (KubeObjects.StringAt(applied, "apiVersion") != kind.ApiVersion || KubeObjects.StringAt(applied, "kind") != kind.Kind)
        {
            throw KubeApiException.BadRequest($"apiVersion and kind of an applied object must be set to {kind.ApiVersion} and {kind.Kind}");
        }

        var (result, created) = _store.Upsert(kind, request.Namespace, request.Name!, current =>
        {
            if (current is null && scope == WriteScope.Status)
            {
                throw KubeApiException.NotFound(kind, request.Name!);
            }

            var merged = current is null ? (JsonObject)applied.DeepClone() : AsObject(MergePatch.Apply(current, applied, strategic: true));
            RecordManager(merged, manager, kind);
            if (current is null)
            {
                KubeObjects.Metadata(merged)["name"] = request.Name;
            }

            return merged;
        }, scope, dryRun);
        return ApiResponse.Of(created ? 201 : 200, result);
    }

    private static void RecordManager(JsonObject obj, string manager, ResourceKind kind)
    {
        var metadata = KubeObjects.Metadata(obj);
        var entries = metadata["managedFields"] as JsonArray ?? [];
        if (!entries.Any(e => KubeObjects.StringAt(e, "manager") == manager && KubeObjects.StringAt(e, "operation") == "Apply"))
        {
            entries.Add(new JsonObject
            {
                ["manager"] = manager,
                ["operation"] = "Apply",
                ["apiVersion"] = kind.ApiVersion,
                ["fieldsType"] = "FieldsV1",
            });
        }

        metadata["managedFields"] = entries.DeepClone();
    }

    private ApiResponse Delete(ResourceKind kind, ApiRequestInfo request, string body, bool dryRun)
    {
        var options = string.IsNullOrWhiteSpace(body) ? null : ParseObject(body);
        dryRun |= options?["dryRun"] is JsonArray modes && modes.Any(m => m?.GetValue<string>() == "All");
        var deleted = _store.Delete(
            kind, request.Namespace, request.Name!, dryRun,
            KubeObjects.StringAt(options, "preconditions", "resourceVersion"),
            KubeObjects.StringAt(options, "preconditions", "uid"));
        return kind.DeleteReturnsObject
            ? ApiResponse.Of(200, deleted)
            : ApiResponse.Of(200, ApiStatus.Success(kind, request.Name!, KubeObjects.StringAt(deleted, "metadata", "uid")));
    }

    private ApiResponse DeleteCollection(ResourceKind kind, ApiRequestInfo request, bool dryRun)
    {
        var labels = LabelSelector.Parse(request.QueryValue("labelSelector"));
        var fields = FieldSelector.Parse(request.QueryValue("fieldSelector"), kind);
        var doomed = _store.List(kind, request.Namespace, o => labels.Matches(KubeObjects.Labels(o)) && fields.Matches(o));
        var items = new List<string>();
        foreach (var item in doomed.Items)
        {
            try
            {
                items.Add(_store.Delete(kind, KubeObjects.Namespace(item), KubeObjects.Name(item)!, dryRun).ToJsonString());
            }
            catch (KubeApiException e) when (e.Code == 404)
            {
                // Deleted concurrently: the collection delete still succeeds.
            }
        }

        return new ApiResponse(200, WriteList(kind, new ListPage(items, _store.CurrentResourceVersion, null, null)));
    }

    private static string WriteList(ResourceKind kind, ListPage page)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("kind", kind.ListKind);
            writer.WriteString("apiVersion", kind.ApiVersion);
            writer.WriteStartObject("metadata");
            writer.WriteString("resourceVersion", page.ResourceVersion);
            if (page.Continue is not null)
            {
                writer.WriteString("continue", page.Continue);
            }

            if (page.RemainingItemCount is { } remaining)
            {
                writer.WriteNumber("remainingItemCount", remaining);
            }

            writer.WriteEndObject();
            writer.WriteStartArray("items");
            foreach (var item in page.ItemsJson)
            {
                writer.WriteRawValue(item, skipInputValidation: true);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static int? ParseLimit(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var limit)
            ? limit
            : throw KubeApiException.BadRequest($"invalid limit '{value}': expected a non-negative integer");
    }

    private static JsonObject ParseObject(string body) =>
        ParseJson(body) as JsonObject ?? throw KubeApiException.BadRequest("the request body must be a JSON object");

    private static JsonNode? ParseJson(string body)
    {
        try
        {
            return JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            throw KubeApiException.BadRequest($"the request body is not valid JSON: {e.Message}");
        }
    }

    private static JsonObject AsObject(JsonNode? node) =>
        node as JsonObject ?? throw KubeApiException.BadRequest("a patch must leave the object a JSON object");

    private static KubeApiException NotServed() =>
        new(404, "NotFound", "the server could not find the requested resource");
}
