using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Api;

/// <summary>
/// The labelSelector query syntax: comma-separated requirements, all of which must hold:
/// key, !key, key=v, key==v, key!=v, key in (a,b), key notin (a,b).
/// </summary>
public sealed class LabelSelector
{
    private readonly IReadOnlyList<Func<IReadOnlyDictionary<string, string>, bool>> _requirements;

    private LabelSelector(IReadOnlyList<Func<IReadOnlyDictionary<string, string>, bool>> requirements) => _requirements = requirements;

    public static LabelSelector Everything { get; } = new([]);

    public bool Matches(IReadOnlyDictionary<string, string> labels) => _requirements.All(r => r(labels));

    /// <summary>Throws a BadRequest KubeApiException on malformed input, as the API server does.</summary>
    public static LabelSelector Parse(string? selector)
    {
        if (string.IsNullOrWhiteSpace(selector))
        {
            return Everything;
        }

        return new LabelSelector(SplitRequirements(selector).Select(ParseRequirement).ToList());
    }

    /// <summary>Splits on commas that are not inside a parenthesised value set.</summary>
    private static IEnumerable<string> SplitRequirements(string selector)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < selector.Length; i++)
        {
            switch (selector[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case ',' when depth == 0:
                    yield return selector[start..i];
                    start = i + 1;
                    break;
            }
        }

        yield return selector[start..];
    }

    private static Func<IReadOnlyDictionary<string, string>, bool> ParseRequirement(string raw)
    {
        var text = raw.Trim();
        if (text.Length == 0)
        {
            throw Malformed(raw);
        }

        var setMatch = System.Text.RegularExpressions.Regex.Match(
            text, @"^(?<key>[^\s!=()]+)\s+(?<op>in|notin)\s*\((?<values>[^()]*)\)$", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));
        if (setMatch.Success)
        {
            var key = ValidKey(setMatch.Groups["key"].Value, raw);
            var values = setMatch.Groups["values"].Value.Split(',').Select(v => v.Trim()).Where(v => v.Length > 0).ToHashSet(StringComparer.Ordinal);
            return setMatch.Groups["op"].Value == "in"
                ? labels => labels.TryGetValue(key, out var v) && values.Contains(v)
                : labels => !labels.TryGetValue(key, out var v) || !values.Contains(v);
        }

        if (text.StartsWith('!'))
        {
            var key = ValidKey(text[1..].Trim(), raw);
            return labels => !labels.ContainsKey(key);
        }

        foreach (var (op, negate) in new[] { ("!=", true), ("==", false), ("=", false) })
        {
            var at = text.IndexOf(op, StringComparison.Ordinal);
            if (at < 0)
            {
                continue;
            }

            var key = ValidKey(text[..at].Trim(), raw);
            var value = text[(at + op.Length)..].Trim();
            if (value.Contains('=', StringComparison.Ordinal) || value.Contains('!', StringComparison.Ordinal))
            {
                throw Malformed(raw);
            }

            return negate
                ? labels => !labels.TryGetValue(key, out var v) || v != value
                : labels => labels.TryGetValue(key, out var v) && v == value;
        }

        var existsKey = ValidKey(text, raw);
        return labels => labels.ContainsKey(existsKey);
    }

    private static string ValidKey(string key, string raw)
    {
        if (key.Length == 0 || key.Any(c => char.IsWhiteSpace(c) || c is '(' or ')' or ',' or '=' or '!'))
        {
            throw Malformed(raw);
        }

        return key;
    }

    private static KubeApiException Malformed(string raw) =>
        KubeApiException.BadRequest($"unable to parse requirement: found '{raw.Trim()}', expected: key, !key, key=value, key!=value, key in (v1,v2) or key notin (v1,v2)");
}
