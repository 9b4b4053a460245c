using System.Text.Json.Nodes;

namespace Rotation.Infra.Kubernetes.Targets;

/// <summary>Small readers over custom objects held as JSON (cert-manager and trust-manager types have no generated models).</summary>
internal static class CustomObjects
{
    public static string? Str(JsonNode? node, params string[] path)
    {
        foreach (var step in path)
            node = node is JsonObject obj && obj.TryGetPropertyValue(step, out var next) ? next : null;
        return node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
    }

    public static long? Long(JsonNode? node, params string[] path)
    {
        foreach (var step in path)
            node = node is JsonObject obj && obj.TryGetPropertyValue(step, out var next) ? next : null;
        return node is JsonValue value && value.TryGetValue<long>(out var number) ? number : null;
    }

    public static JsonArray Array(JsonNode? node, params string[] path)
    {
        foreach (var step in path)
            node = node is JsonObject obj && obj.TryGetPropertyValue(step, out var next) ? next : null;
        return node as JsonArray ?? [];
    }

    /// <summary>The condition of <paramref name="type"/> under status.conditions, or null.</summary>
    public static JsonObject? Condition(JsonNode? obj, string type) =>
        Array(obj, "status", "conditions").OfType<JsonObject>().FirstOrDefault(c => Str(c, "type") == type);

    public static IEnumerable<JsonObject> Items(JsonObject list) => Array(list, "items").OfType<JsonObject>();

    public static string? Continue(JsonObject list) => Str(list, "metadata", "continue");
}
