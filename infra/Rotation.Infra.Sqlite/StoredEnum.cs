namespace Rotation.Infra.Sqlite;

/// <summary>Enums as lowercase names in columns, so rows stay readable with the sqlite3 shell.</summary>
internal static class StoredEnum
{
    public static string Format<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    public static T Parse<T>(string text, string column) where T : struct, Enum =>
        Enum.TryParse<T>(text, ignoreCase: true, out var value) && Enum.IsDefined(value)
            ? value
            : throw new InvalidDataException($"rotation.db holds unknown {column} '{text}': it was written by a newer rotation build, upgrade rotation");
}
