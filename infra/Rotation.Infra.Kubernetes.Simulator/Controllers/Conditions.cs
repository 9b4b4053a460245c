using System.Text.Json.Nodes;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Controllers;

/// <summary>status.conditions handling as controllers do it: lastTransitionTime only moves when status flips.</summary>
public static class Conditions
{
    public static JsonObject? Find(JsonObject obj, string type) =>
        (obj["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => KubeObjects.StringAt(c, "type") == type);

    public static bool IsTrue(JsonObject obj, string type) => Find(obj, type) is { } c && KubeObjects.StringAt(c, "status") == "True";

    public static void Set(JsonObject obj, string type, bool value, string reason, string message, DateTimeOffset now, long? observedGeneration = null)
    {
        var status = obj["status"] as JsonObject ?? [];
        obj["status"] = status;
        var conditions = status["conditions"] as JsonArray ?? [];
        status["conditions"] = conditions;
        var statusText = value ? "True" : "False";
        var existing = conditions.OfType<JsonObject>().FirstOrDefault(c => KubeObjects.StringAt(c, "type") == type);
        var transition = existing is not null && KubeObjects.StringAt(existing, "status") == statusText
            ? KubeObjects.StringAt(existing, "lastTransitionTime") ?? KubeObjects.Timestamp(now)
            : KubeObjects.Timestamp(now);
        var condition = new JsonObject
        {
            ["type"] = type,
            ["status"] = statusText,
            ["lastTransitionTime"] = transition,
            ["reason"] = reason,
            ["message"] = message,
        };
        if (observedGeneration is { } generation)
        {
            condition["observedGeneration"] = generation;
        }

        if (existing is null)
        {
            conditions.Add(condition);
        }
        else
        {
            conditions[conditions.IndexOf(existing)] = condition;
        }
    }

    public static void Remove(JsonObject obj, string type)
    {
        if (obj["status"]?["conditions"] is JsonArray conditions)
        {
            foreach (var match in conditions.OfType<JsonObject>().Where(c => KubeObjects.StringAt(c, "type") == type).ToList())
            {
                conditions.Remove(match);
            }
        }
    }
}
