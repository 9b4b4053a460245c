using System.Text.RegularExpressions;
using Rotation.Core.Pki;

namespace Rotation.Infra.LocalVault;

/// <summary>Key names become file names, so only a safe alphabet passes: nothing can point outside the key directory.</summary>
internal static partial class KeyNames
{
    public const int MaxLength = 200;

    public const string FileSuffix = ".key.pem";

    public static bool IsValid(string? name) =>
        !string.IsNullOrEmpty(name)
        && name.Length <= MaxLength
        && SafeName().IsMatch(name)
        && !name.Contains("..", StringComparison.Ordinal);

    public static void Validate(string name)
    {
        if (!IsValid(name))
        {
            throw new PkiException(
                $"key name '{Printable(name)}' is not allowed: use 1-{MaxLength} letters, digits, '.', '-' or '_', starting with a letter or digit and without '..'");
        }
    }

    public static string FileName(string name) => name + FileSuffix;

    /// <summary>
    /// The file stem of a key version. Version 1 is the plain name, so a key made before versions existed (and the
    /// first version of every key) lives where it always did; later versions are "name+N" ('+' is not allowed in names,
    /// so a stem cannot collide with another key's name).
    /// </summary>
    public static string Stem(string name, int version) =>
        version == 1 ? name : $"{name}{VersionSeparator}{version.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    public const char VersionSeparator = '+';

    public static bool IsValidStem(string stem)
    {
        var plus = stem.IndexOf(VersionSeparator, StringComparison.Ordinal);
        return plus < 0
            ? IsValid(stem)
            : IsValid(stem[..plus]) && stem.Length > plus + 1 && stem[(plus + 1)..].All(char.IsAsciiDigit);
    }

    // The name is echoed in the error; control characters would let it forge extra log lines.
    private static string Printable(string? name) =>
        name is null ? string.Empty : new string(name.Take(MaxLength).Select(c => char.IsControl(c) ? '?' : c).ToArray());

    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9._-]*\z", RegexOptions.CultureInvariant)]
    private static partial Regex SafeName();
}
