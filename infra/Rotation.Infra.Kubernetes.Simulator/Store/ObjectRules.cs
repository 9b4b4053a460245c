using System.Text.Json.Nodes;

namespace Rotation.Infra.Kubernetes.Simulator.Store;

/// <summary>
/// What the API server checks and fills in on every write: names, apiVersion/kind, Secret data as base64 (with
/// stringData folded in), ConfigMap data as strings, and the defaults objects get on creation.
/// </summary>
internal static class ObjectRules
{
    public static void ValidateName(ResourceKind kind, string name)
    {
        var valid = name.Length <= 253 && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.')
            && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1]);
        if (!valid)
        {
            throw KubeApiException.Invalid(kind, name, $"metadata.name: Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character");
        }
    }

    public static void Normalize(ResourceKind kind, JsonObject obj, string name)
    {
        obj["apiVersion"] = kind.ApiVersion;
        obj["kind"] = kind.Kind;
        if (kind == ResourceKinds.Secrets)
        {
            NormalizeSecret(obj, name);
        }
        else if (kind == ResourceKinds.ConfigMaps && obj["data"] is JsonObject data)
        {
            foreach (var (key, value) in data)
            {
                if (value is not JsonValue v || !v.TryGetValue<string>(out _))
                {
                    throw KubeApiException.Invalid(kind, name, $"data[{key}]: Invalid value: ConfigMap data values must be strings");
                }
            }
        }
    }

    private static void NormalizeSecret(JsonObject secret, string name)
    {
        if (secret["data"] is JsonObject data)
        {
            foreach (var (key, value) in data)
            {
                var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
                if (text is null || !IsBase64(text))
                {
                    throw KubeApiException.BadRequest($"Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data in data[{key}] of secret \"{name}\"");
                }
            }
        }

        // The API server folds write-only stringData into data.
        if (secret["stringData"] is JsonObject stringData)
        {
            var target = secret["data"] as JsonObject ?? new JsonObject();
            secret["data"] = target;
            foreach (var (key, value) in KubeObjects.StringMap(stringData))
            {
                target[key] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(value));
            }

            secret.Remove("stringData");
        }

        if (secret["type"] is null)
        {
            secret["type"] = "Opaque";
        }
    }

    private static bool IsBase64(string text)
    {
        var buffer = new byte[((text.Length * 3) / 4) + 3];
        return Convert.TryFromBase64String(text, buffer, out _);
    }

    public static void ApplyDefaults(ResourceKind kind, JsonObject obj)
    {
        if (kind == ResourceKinds.Namespaces && obj["status"] is null)
        {
            obj["status"] = new JsonObject { ["phase"] = "Active" };
        }
        else if (kind == ResourceKinds.Pods && obj["status"] is null)
        {
            obj["status"] = new JsonObject { ["phase"] = "Pending" };
        }
    }
}
