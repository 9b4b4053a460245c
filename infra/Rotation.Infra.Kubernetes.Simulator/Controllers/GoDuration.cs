using System.Globalization;
using System.Text.RegularExpressions;

namespace Rotation.Infra.Kubernetes.Simulator.Controllers;

/// <summary>Go duration strings as cert-manager writes them: "2160h", "2160h0m0s", "90m", "1h30m15s".</summary>
public static partial class GoDuration
{
    public static TimeSpan? TryParse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var matches = Part().Matches(text);
        if (matches.Count == 0 || string.Concat(matches.Select(m => m.Value)) != text)
        {
            return null;
        }

        var total = TimeSpan.Zero;
        foreach (Match match in matches)
        {
            var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            total += match.Groups[2].Value switch
            {
                "h" => TimeSpan.FromHours(value),
                "m" => TimeSpan.FromMinutes(value),
                "s" => TimeSpan.FromSeconds(value),
                _ => TimeSpan.FromMilliseconds(value),
            };
        }

        return total;
    }

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(h|ms|m|s)", RegexOptions.None, 1000)]
    private static partial Regex Part();
}
