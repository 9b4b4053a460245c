using System.Globalization;

namespace Rotation.Infra.Sqlite;

/// <summary>Timestamps as round-trip ("O") text: exact to the tick, offset kept.</summary>
internal static class StoredTime
{
    public static string Format(DateTimeOffset value) => value.ToString("O", CultureInfo.InvariantCulture);

    /// <summary>UTC form: fixed width, so text order is time order (for ORDER BY).</summary>
    public static string FormatSortable(DateTimeOffset value) => value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    public static DateTimeOffset Parse(string text) =>
        DateTimeOffset.ParseExact(text, "O", CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
