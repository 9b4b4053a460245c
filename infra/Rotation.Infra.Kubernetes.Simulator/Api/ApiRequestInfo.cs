using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Api;

/// <summary>
/// What a request is, in the API server's terms: the verb (get, list, watch, create, update, patch, delete,
/// deletecollection) and the resource it addresses. Faults match on this and the request log records it.
/// </summary>
public sealed record ApiRequestInfo(
    string Method,
    string Verb,
    string Path,
    string Query,
    string Group,
    string Version,
    string Resource,
    ResourceKind? Kind,
    string? Namespace,
    string? Name,
    string? Subresource)
{
    /// <summary>True for /api, /apis, /version and the group-version resource lists.</summary>
    public bool IsDiscovery => Resource.Length == 0;

    public bool IsWrite => Verb is "create" or "update" or "patch" or "delete" or "deletecollection";

    public static ApiRequestInfo Parse(string method, string path, string query)
    {
        var segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        var (group, version, rest) = segments switch
        {
            ["api", var v, .. var r] => ("", v, r),
            ["apis", var g, var v, .. var r] => (g, v, r),
            _ => ("", "", Array.Empty<string>()),
        };

        string resource = "", name = "", subresource = "";
        string? ns = null;
        if (rest.Length > 0)
        {
            var namespacedKind = rest.Length >= 3 && rest[0] == "namespaces" ? ResourceKinds.Find(group, version, rest[2]) : null;
            if (namespacedKind is { Namespaced: true })
            {
                ns = rest[1];
                resource = rest[2];
                name = rest.ElementAtOrDefault(3) ?? "";
                subresource = string.Join('/', rest.Skip(4));
            }
            else
            {
                resource = rest[0];
                name = rest.ElementAtOrDefault(1) ?? "";
                subresource = string.Join('/', rest.Skip(2));
            }
        }

        var kind = resource.Length > 0 ? ResourceKinds.Find(group, version, resource) : null;
        var isWatch = QueryValue(query, "watch") is "true" or "1";
        var verb = method.ToUpperInvariant() switch
        {
            "GET" when resource.Length == 0 => "get",
            "GET" when name.Length == 0 => isWatch ? "watch" : "list",
            "GET" => isWatch ? "watch" : "get",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" when name.Length == 0 => "deletecollection",
            "DELETE" => "delete",
            _ => method.ToLowerInvariant(),
        };

        return new ApiRequestInfo(
            method.ToUpperInvariant(), verb, path, query, group, version, resource, kind, ns,
            name.Length == 0 ? null : name, subresource.Length == 0 ? null : subresource);
    }

    public string? QueryValue(string key) => QueryValue(Query, key);

    private static string? QueryValue(string query, string key)
    {
        var parsed = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(query);
        return parsed.TryGetValue(key, out var values) ? values.ToString() : null;
    }

    public override string ToString() => $"{Method} {Path}{Query}";
}
