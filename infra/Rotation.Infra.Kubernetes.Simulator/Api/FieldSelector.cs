using System.Text.Json.Nodes;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Api;

/// <summary>
/// The fieldSelector query syntax: comma-separated field=value, field==value, field!=value. Only the fields the
/// API server indexes for a kind are allowed (metadata.name and metadata.namespace everywhere, plus a few per kind).
/// </summary>
public sealed class FieldSelector
{
    private static readonly Dictionary<string, string[]> ExtraFieldsByKind = new(StringComparer.Ordinal)
    {
        ["Pod"] = ["status.phase", "spec.nodeName", "spec.serviceAccountName", "spec.restartPolicy", "status.podIP"],
        ["Secret"] = ["type"],
        ["Namespace"] = ["status.phase"],
        // kubernetes pkg/apis/core/v1/conversion.go AddFieldLabelConversionsForEvent (a subset).
        ["Event"] = ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion", "reason", "type"],
    };

    private readonly IReadOnlyList<(string Field, string Value, bool Negate)> _requirements;

    private FieldSelector(IReadOnlyList<(string, string, bool)> requirements) => _requirements = requirements;

    public static FieldSelector Everything { get; } = new([]);

    public static FieldSelector Parse(string? selector, ResourceKind kind)
    {
        if (string.IsNullOrWhiteSpace(selector))
        {
            return Everything;
        }

        var requirements = new List<(string, string, bool)>();
        foreach (var raw in selector.Split(','))
        {
            var (field, value, negate) = Split(raw);
            var allowed = field is "metadata.name" or "metadata.namespace"
                || (ExtraFieldsByKind.TryGetValue(kind.Kind, out var extra) && extra.Contains(field));
            if (!allowed)
            {
                throw KubeApiException.BadRequest($"field label not supported: {field}");
            }

            requirements.Add((field, value, negate));
        }

        return new FieldSelector(requirements);
    }

    public bool Matches(JsonObject obj) => _requirements.All(r =>
    {
        var actual = KubeObjects.StringAt(obj, r.Field.Split('.')) ?? "";
        return r.Negate ? actual != r.Value : actual == r.Value;
    });

    private static (string Field, string Value, bool Negate) Split(string raw)
    {
        foreach (var (op, negate) in new[] { ("!=", true), ("==", false), ("=", false) })
        {
            var at = raw.IndexOf(op, StringComparison.Ordinal);
            if (at > 0)
            {
                return (raw[..at].Trim(), raw[(at + op.Length)..].Trim(), negate);
            }
        }

        throw KubeApiException.BadRequest($"invalid selector: '{raw}'; can't understand '{raw}'");
    }
}
