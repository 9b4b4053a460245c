using System.Text.Json.Nodes;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Api;

/// <summary>JSON patch (RFC 6902): add, remove, replace, test, copy, move.</summary>
public static class JsonPatch
{
    public static JsonObject Apply(JsonObject target, JsonNode? patch)
    {
        if (patch is not JsonArray operations)
        {
            throw KubeApiException.BadRequest("a JSON patch must be an array of operations");
        }

        var document = (JsonObject)target.DeepClone();
        foreach (var operation in operations)
        {
            var op = KubeObjects.StringAt(operation, "op");
            var path = KubeObjects.StringAt(operation, "path") ?? throw KubeApiException.BadRequest("a JSON patch operation needs a path");
            switch (op)
            {
                case "add":
                    Add(document, path, operation!["value"]?.DeepClone());
                    break;
                case "remove":
                    Remove(document, path);
                    break;
                case "replace":
                    Remove(document, path);
                    Add(document, path, operation!["value"]?.DeepClone());
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Find(document, path), operation!["value"]))
                    {
                        throw new KubeApiException(422, "Invalid", $"the server rejected our request due to an error in our request: testing value {path} failed");
                    }

                    break;
                case "copy":
                    Add(document, path, Find(document, From(operation))?.DeepClone());
                    break;
                case "move":
                    var value = Find(document, From(operation))?.DeepClone();
                    Remove(document, From(operation));
                    Add(document, path, value);
                    break;
                default:
                    throw KubeApiException.BadRequest($"unknown JSON patch operation '{op}'");
            }
        }

        return document;
    }

    private static string From(JsonNode? operation) =>
        KubeObjects.StringAt(operation, "from") ?? throw KubeApiException.BadRequest("a JSON patch copy/move needs 'from'");

    private static string[] Segments(string path) =>
        path.Length == 0 ? [] : path[1..].Split('/').Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();

    private static JsonNode? Find(JsonNode document, string path)
    {
        JsonNode? current = document;
        foreach (var segment in Segments(path))
        {
            current = current switch
            {
                JsonObject o => o[segment],
                JsonArray a when int.TryParse(segment, out var i) && i >= 0 && i < a.Count => a[i],
                _ => null,
            };
        }

        return current;
    }

    private static (JsonNode Parent, string Last) Parent(JsonNode document, string path)
    {
        var segments = Segments(path);
        if (segments.Length == 0)
        {
            throw KubeApiException.BadRequest("a JSON patch may not replace the whole object");
        }

        var parent = Find(document, "/" + string.Join('/', segments[..^1].Select(s => s.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal))));
        if (segments.Length == 1)
        {
            parent = document;
        }

        return parent is null
            ? throw new KubeApiException(422, "Invalid", $"the server rejected our request due to an error in our request: path {path} does not exist")
            : (parent, segments[^1]);
    }

    private static void Add(JsonNode document, string path, JsonNode? value)
    {
        var (parent, last) = Parent(document, path);
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                break;
            case JsonArray a when last == "-":
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i <= a.Count:
                a.Insert(i, value);
                break;
            default:
                throw new KubeApiException(422, "Invalid", $"the server rejected our request due to an error in our request: cannot add at {path}");
        }
    }

    private static void Remove(JsonNode document, string path)
    {
        var (parent, last) = Parent(document, path);
        var removed = parent switch
        {
            JsonObject o => o.Remove(last),
            JsonArray a when int.TryParse(last, out var i) && i >= 0 && i < a.Count => RemoveAt(a, i),
            _ => false,
        };
        if (!removed)
        {
            throw new KubeApiException(422, "Invalid", $"the server rejected our request due to an error in our request: path {path} does not exist");
        }
    }

    private static bool RemoveAt(JsonArray array, int index)
    {
        array.RemoveAt(index);
        return true;
    }
}
