using Rotation.Core.Domain;

namespace Rotation.Infra.Kubernetes.Targets;

/// <summary>
/// The command-line spelling of a target: KIND or KIND:KEY=VALUE,KEY=VALUE; list values join items with '+'.
/// Examples: "istio", "linkerd:restartNamespaces=payments+orders,restartConcurrency=3",
/// "cert-manager:issuerName=mesh-ca,certificateCaTrust=ignore".
/// </summary>
public static class TargetSpecParser
{
    public static TargetSpec Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new DomainException("empty target: use KIND or KIND:KEY=VALUE,... with KIND one of " + string.Join(", ", TargetCatalog.Kinds));
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var kind = (colon < 0 ? text : text[..colon]).Trim();
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        if (colon >= 0)
        {
            foreach (var pair in text[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                    throw new DomainException($"target option '{pair}' in '{text}' is not KEY=VALUE");
                var key = pair[..equals].Trim();
                if (!options.TryAdd(key, pair[(equals + 1)..].Trim()))
                    throw new DomainException($"target option '{key}' appears twice in '{text}'");
            }
        }

        var spec = new TargetSpec(kind, options);
        TargetCatalog.Validate(spec);
        return spec;
    }

    public static string Format(TargetSpec spec) =>
        spec.Options.Count == 0 ? spec.Kind : $"{spec.Kind}:{string.Join(",", spec.Options.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key}={o.Value}"))}";
}
