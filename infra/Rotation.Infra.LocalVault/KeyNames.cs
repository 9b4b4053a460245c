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

    // The name is echoed in the error; control characters would let it forge extra log lines.
    private static string Printable(string? name) =>
        name is null ? string.Empty : new string(name.Take(MaxLength).Select(c => char.IsControl(c) ? '?' : c).ToArray());

    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9._-]*\z", RegexOptions.CultureInvariant)]
    private static partial Regex SafeName();
}
