using Rotation.Core.Domain;

namespace Rotation.Infra.Kubernetes.Targets;

/// <summary>Reads a target's options with defaults; a bad value is a one-line <see cref="DomainException"/>.</summary>
internal sealed class TargetOptionReader
{
    private readonly string _kind;
    private readonly IReadOnlyDictionary<string, string> _options;

    public TargetOptionReader(TargetSpec spec)
    {
        _kind = spec.Kind;
        _options = spec.Options;
    }

    public string Kind => _kind;

    public string Get(string key, string fallback) =>
        _options.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : fallback;

    public string Required(string key) =>
        _options.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value)
            ? value.Trim()
            : throw new DomainException($"target '{_kind}' needs option '{key}': add {key}=VALUE to the target");

    /// <summary>A list value: items separated by '+' (e.g. restartNamespaces=payments+orders).</summary>
    public IReadOnlyList<string> List(string key) =>
        _options.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value)
            ? value.Split('+', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : [];

    public int PositiveInt(string key, int fallback)
    {
        if (!_options.TryGetValue(key, out var value) || string.IsNullOrWhiteSpace(value))
            return fallback;
        return int.TryParse(value, out var number) && number > 0
            ? number
            : throw new DomainException($"target '{_kind}' option '{key}' must be a positive whole number, not '{value}'");
    }

    /// <summary>A duration in seconds, zero or more (decimals allowed: 1.5).</summary>
    public TimeSpan NonNegativeSeconds(string key, TimeSpan fallback)
    {
        if (!_options.TryGetValue(key, out var value) || string.IsNullOrWhiteSpace(value))
            return fallback;
        return double.TryParse(value, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds is >= 0 and <= 86_400
            ? TimeSpan.FromSeconds(seconds)
            : throw new DomainException($"target '{_kind}' option '{key}' must be a number of seconds from 0 to 86400, not '{value}'");
    }

    public string OneOf(string key, string fallback, params string[] allowed)
    {
        var value = Get(key, fallback);
        var match = allowed.FirstOrDefault(a => string.Equals(a, value, StringComparison.OrdinalIgnoreCase));
        return match ?? throw new DomainException($"target '{_kind}' option '{key}' must be one of {string.Join(", ", allowed)}, not '{value}'");
    }
}
