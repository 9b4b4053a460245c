namespace Rotation.Core.Pki;

/// <summary>The command-line and storage spelling of <see cref="KeyAlgorithm"/> ("ecdsa-p256", "rsa-3072", ...).</summary>
public static class KeyAlgorithmNames
{
    private static readonly Dictionary<string, KeyAlgorithm> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ecdsa-p256"] = KeyAlgorithm.EcdsaP256,
        ["ecdsa-p384"] = KeyAlgorithm.EcdsaP384,
        ["rsa-2048"] = KeyAlgorithm.Rsa2048,
        ["rsa-3072"] = KeyAlgorithm.Rsa3072,
        ["rsa-4096"] = KeyAlgorithm.Rsa4096,
    };

    public static IReadOnlyCollection<string> All => ByName.Keys;

    public static string ToName(this KeyAlgorithm algorithm) =>
        ByName.First(pair => pair.Value == algorithm).Key;

    public static bool TryParse(string? name, out KeyAlgorithm algorithm) =>
        ByName.TryGetValue(name ?? string.Empty, out algorithm);

    public static KeyAlgorithm Parse(string name) =>
        TryParse(name, out var algorithm)
            ? algorithm
            : throw new PkiException($"unknown key algorithm '{name}': use one of {string.Join(", ", ByName.Keys)}");
}
