using System.Text.Json.Nodes;

namespace Rotation.Infra.Kubernetes.Simulator.Api;

/// <summary>
/// JSON merge patch (RFC 7386) and the strategic-merge variant for the lists Rotation touches: lists of objects
/// with a known merge key (containers and env by name, volumes by name...) merge element by element instead of
/// being replaced.
/// </summary>
public static class MergePatch
{
    private static readonly Dictionary<string, string> MergeKeys = new(StringComparer.Ordinal)
    {
        ["containers"] = "name",
        ["initContainers"] = "name",
        ["env"] = "name",
        ["volumes"] = "name",
        ["volumeMounts"] = "mountPath",
        ["ports"] = "containerPort",
        ["imagePullSecrets"] = "name",
        ["conditions"] = "type",
    };

    public static JsonNode? Apply(JsonNode? target, JsonNode? patch, bool strategic = false)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target is JsonObject targetObject ? (JsonObject)targetObject.DeepClone() : [];
        foreach (var (key, value) in patchObject)
        {
            if (strategic && key.StartsWith('$'))
            {
                // Directives like $setElementOrder and $retainKeys only order or prune; the simulator ignores them.
                continue;
            }

            if (value is null)
            {
                result.Remove(key);
            }
            else if (strategic && value is JsonArray patchArray && result[key] is JsonArray targetArray && MergeKeys.TryGetValue(key, out var mergeKey)
                     && AllHaveKey(patchArray, mergeKey) && AllHaveKey(targetArray, mergeKey))
            {
                result[key] = MergeByKey(targetArray, patchArray, mergeKey);
            }
            else
            {
                result[key] = Apply(result[key], value, strategic);
            }
        }

        return result;
    }

    private static bool AllHaveKey(JsonArray array, string mergeKey) =>
        array.All(e => e is JsonObject o && o[mergeKey] is not null);

    private static JsonArray MergeByKey(JsonArray target, JsonArray patch, string mergeKey)
    {
        var merged = target.Select(e => e?.DeepClone()).ToList();
        foreach (var element in patch.Cast<JsonObject>())
        {
            var key = element[mergeKey]!.ToJsonString();
            var index = merged.FindIndex(e => e![mergeKey]!.ToJsonString() == key);
            var delete = element["$patch"]?.GetValue<string>() == "delete";
            if (index >= 0 && delete)
            {
                merged.RemoveAt(index);
            }
            else if (index >= 0)
            {
                merged[index] = Apply(merged[index], element, strategic: true);
            }
            else if (!delete)
            {
                merged.Add(Apply(null, element, strategic: true));
            }
        }

        return new JsonArray([.. merged]);
    }
}
