namespace Rotation.Infra.Kubernetes.Targets.Istio;

/// <summary>
/// How Istio reads a boolean environment variable: pkg/env (istio/istio 86c9f01, pkg/env/var.go BoolVar.Lookup)
/// calls Go's strconv.ParseBool and falls back to the variable's default when that fails. ParseBool accepts
/// 1, t, T, TRUE, true, True and 0, f, F, FALSE, false, False; anything else (" true", "yes", "on") is the default.
/// </summary>
public static class GoBool
{
    public static bool? TryParse(string? value) => value switch
    {
        "1" or "t" or "T" or "TRUE" or "true" or "True" => true,
        "0" or "f" or "F" or "FALSE" or "false" or "False" => false,
        _ => null,
    };

    /// <summary>The value istiod or istio-agent ends up with: the parsed value, else the default (also when unset).</summary>
    public static bool Effective(string? value, bool defaultValue) => TryParse(value) ?? defaultValue;
}
