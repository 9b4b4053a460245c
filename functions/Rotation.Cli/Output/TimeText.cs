using System.Globalization;
using Rotation.Core.Expiry;

namespace Rotation.Cli.Output;

/// <summary>How times and expiry read in tables.</summary>
public static class TimeText
{
    public static string Instant(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>"364d 23h", "5h 12m", "expired 3d ago".</summary>
    public static string Left(TimeSpan left) =>
        left > TimeSpan.Zero ? Coarse(left) : $"expired {Coarse(left.Duration())} ago";

    public static string Percent(double percent) => $"{percent.ToString("0.0", CultureInfo.InvariantCulture)}%";

    public static string StateMarkup(ExpiryState state) => state switch
    {
        ExpiryState.Ok => "[green]ok[/]",
        ExpiryState.Warning => "[yellow]warning[/]",
        ExpiryState.Critical => "[red]critical[/]",
        ExpiryState.Expired => "[bold red]expired[/]",
        _ => state.ToString().ToLowerInvariant(),
    };

    private static string Coarse(TimeSpan span) =>
        span.TotalDays >= 1 ? $"{(int)span.TotalDays}d {span.Hours}h"
        : span.TotalHours >= 1 ? $"{span.Hours}h {span.Minutes}m"
        : $"{span.Minutes}m {span.Seconds}s";
}
