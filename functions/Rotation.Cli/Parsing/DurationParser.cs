using System.Globalization;

namespace Rotation.Cli.Parsing;

/// <summary>
/// Durations as operators write them: a number and a unit, optionally several ("1d12h"). y is 365 days;
/// there is no month because months differ in length and a CA validity should not. ms exists for gate retries
/// and drills against simulated clusters, where a second is long.
/// </summary>
public static class DurationParser
{
    public const string Hint = "use a number and a unit y, d, h, m, s or ms, e.g. 10y, 90d, 24h, 30m, 200ms";

    public static bool TryParse(string? text, out TimeSpan duration, out string error)
    {
        duration = TimeSpan.Zero;
        error = string.Empty;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = $"empty duration: {Hint}";
            return false;
        }

        var position = 0;
        while (position < text.Length)
        {
            var start = position;
            while (position < text.Length && char.IsAsciiDigit(text[position]))
            {
                position++;
            }

            if (position == start || position == text.Length)
            {
                error = $"invalid duration '{text}': {Hint}";
                return false;
            }

            var milliseconds = text.AsSpan(position).StartsWith("ms", StringComparison.OrdinalIgnoreCase);
            var unit = TimeSpan.FromMilliseconds(1);
            if (!long.TryParse(text.AsSpan(start, position - start), NumberStyles.None, CultureInfo.InvariantCulture, out var amount)
                || !(milliseconds || TryUnit(text[position], out unit))
                || !TryAdd(ref duration, amount, unit))
            {
                error = $"invalid duration '{text}': {Hint}";
                return false;
            }

            position += milliseconds ? 2 : 1;
        }

        if (duration <= TimeSpan.Zero)
        {
            error = $"duration '{text}' is zero: {Hint}";
            return false;
        }

        return true;
    }

    public static TimeSpan Parse(string text) =>
        TryParse(text, out var duration, out var error) ? duration : throw new UsageException(error);

    /// <summary>The shortest exact spelling, e.g. 3650d → "10y", 36h → "1d12h".</summary>
    public static string Format(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero)
        {
            return "0s";
        }

        var parts = new List<string>();
        var rest = duration;
        foreach (var (unit, length) in Units)
        {
            var count = (long)(rest.Ticks / length.Ticks);
            if (count > 0)
            {
                parts.Add($"{count}{unit}");
                rest -= TimeSpan.FromTicks(count * length.Ticks);
            }
        }

        if (rest >= TimeSpan.FromMilliseconds(1))
        {
            parts.Add($"{(long)rest.TotalMilliseconds}ms");
        }

        return parts.Count > 0 ? string.Concat(parts) : $"{duration.TotalMilliseconds:0}ms";
    }

    private static readonly (char Unit, TimeSpan Length)[] Units =
    [
        ('y', TimeSpan.FromDays(365)),
        ('d', TimeSpan.FromDays(1)),
        ('h', TimeSpan.FromHours(1)),
        ('m', TimeSpan.FromMinutes(1)),
        ('s', TimeSpan.FromSeconds(1)),
    ];

    private static bool TryUnit(char unit, out TimeSpan length)
    {
        foreach (var (name, value) in Units)
        {
            if (name == char.ToLowerInvariant(unit))
            {
                length = value;
                return true;
            }
        }

        length = TimeSpan.Zero;
        return false;
    }

    private static bool TryAdd(ref TimeSpan duration, long amount, TimeSpan unit)
    {
        // Anything past ~29,000 years overflows TimeSpan; such a value is a typo anyway.
        if (amount > TimeSpan.MaxValue.Ticks / unit.Ticks / 2)
        {
            return false;
        }

        duration += TimeSpan.FromTicks(amount * unit.Ticks);
        return true;
    }
}
