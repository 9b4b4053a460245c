using System.Globalization;
using System.Text.Json.Nodes;

namespace Rotation.Infra.Kubernetes.Simulator.Store;

/// <summary>Reading and writing the standard parts of an object held as JSON.</summary>
public static class KubeObjects
{
    public static JsonObject Metadata(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject metadata)
        {
            return metadata;
        }

        var created = new JsonObject();
        obj["metadata"] = created;
        return created;
    }

    public static string? Name(JsonObject obj) => StringAt(obj["metadata"], "name");

    public static string? Namespace(JsonObject obj) => StringAt(obj["metadata"], "namespace");

    public static string? ResourceVersion(JsonObject obj) => StringAt(obj["metadata"], "resourceVersion");

    public static long Generation(JsonObject obj) => LongAt(obj["metadata"]?["generation"]);

    /// <summary>A JSON number as long, whether it was parsed from text or set from an int; 0 when absent.</summary>
    public static long LongAt(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number
            ? long.Parse(v.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture)
            : 0;

    public static IReadOnlyDictionary<string, string> Labels(JsonObject obj) => StringMap(obj["metadata"]?["labels"]);

    public static IReadOnlyDictionary<string, string> Annotations(JsonObject obj) => StringMap(obj["metadata"]?["annotations"]);

    /// <summary>The string-valued entries of a JSON object (labels, annotations, ConfigMap data).</summary>
    public static IReadOnlyDictionary<string, string> StringMap(JsonNode? node)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is JsonObject map)
        {
            foreach (var (key, value) in map)
            {
                if (value is JsonValue v && v.TryGetValue<string>(out var s))
                {
                    result[key] = s;
                }
            }
        }

        return result;
    }

    public static string? StringAt(JsonNode? node, params string[] path)
    {
        var current = node;
        foreach (var segment in path)
        {
            current = current is JsonObject o ? o[segment] : null;
        }

        return current is JsonValue value && value.TryGetValue<string>(out var s) ? s : null;
    }

    /// <summary>Kubernetes timestamps: RFC 3339 in UTC with second precision.</summary>
    public static string Timestamp(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Secret data values are base64; these decode one to text.</summary>
    public static string? SecretText(JsonObject secret, string key)
    {
        var encoded = StringAt(secret, "data", key);
        return encoded is null ? null : System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
    }

    public static string? ConfigMapText(JsonObject configMap, string key) => StringAt(configMap, "data", key);

    public static JsonObject SecretData(IEnumerable<KeyValuePair<string, string>> entries)
    {
        var data = new JsonObject();
        foreach (var (key, value) in entries)
        {
            data[key] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(value));
        }

        return data;
    }

    public static JsonObject StringData(IEnumerable<KeyValuePair<string, string>> entries)
    {
        var data = new JsonObject();
        foreach (var (key, value) in entries)
        {
            data[key] = value;
        }

        return data;
    }

    /// <summary>A bare object of a kind with name, namespace and optional labels.</summary>
    public static JsonObject New(ResourceKind kind, string? @namespace, string name, IReadOnlyDictionary<string, string>? labels = null)
    {
        var metadata = new JsonObject { ["name"] = name };
        if (kind.Namespaced)
        {
            metadata["namespace"] = @namespace;
        }

        if (labels is { Count: > 0 })
        {
            metadata["labels"] = StringData(labels);
        }

        return new JsonObject
        {
            ["apiVersion"] = kind.ApiVersion,
            ["kind"] = kind.Kind,
            ["metadata"] = metadata,
        };
    }
}
