using System.Globalization;

namespace Rotation.Cli.Parsing;

/// <summary>ISO 8601 instants for --at; without an offset they mean UTC.</summary>
public static class InstantParser
{
    private static readonly string[] Formats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd'T'HH:mmK",
        "yyyy-MM-dd",
    ];

    public static bool TryParse(string? text, out DateTimeOffset instant, out string error)
    {
        error = string.Empty;
        if (DateTimeOffset.TryParseExact(
                text?.Trim(),
                Formats,
                CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
                out instant))
        {
            return true;
        }

        error = $"invalid time '{text}': use ISO 8601, e.g. 2027-03-01T12:00:00Z or 2027-03-01";
        return false;
    }
}
