using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Rotation.Infra.KeyVault;

/// <summary>
/// The Key Vault certificate name of a Rotation key name. Rotation's names carry the trust domain's dots
/// ("mesh.example.internal-root-init") and may hold '_' and uppercase letters; Key Vault object names are 1-127
/// characters of 0-9, a-z, A-Z and '-', compared case-insensitively (MicrosoftDocs/azure-security-docs@18f357a9
/// articles/key-vault/general/about-keys-secrets-certificates.md, "Object identifiers").
///
/// The mapping is a pure function of the name, so a reference stores the Rotation name and always resolves to the same
/// vault object; it must never change (pinned by KeyVaultNamesTests):
/// - a <b>plain</b> name — lowercase letters and digits in runs joined by single '-', at most 127 characters
///   ("mesh-root-init") — is its own vault name;
/// - every other name becomes a readable part (lowercased, every other character turned into '-', cut to
///   <see cref="ReadableLength"/>) + "--" + the first 32 hex digits of SHA-256 over the name's UTF-8 bytes.
/// A plain name never contains "--" and every hashed one does, so the two kinds never meet; two different hashed names
/// share a vault name only if 128 bits of SHA-256 collide. Rotation names run to 200 characters, more than Key Vault's
/// 127, so no mapping can be injective without some hash. The custody also tags every version with the Rotation name
/// (rotation-key-name) and refuses a vault name whose versions name another key, so even that collision could not
/// make two keys share one certificate.
/// </summary>
public static class KeyVaultNames
{
    public const int MaxLength = 127;
    private const int HashHexDigits = 32;
    private const string Separator = "--";
    public const int ReadableLength = MaxLength - HashHexDigits - 2;

    public static string For(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (IsPlain(name))
        {
            return name;
        }

        var readable = new StringBuilder(Math.Min(name.Length, ReadableLength));
        foreach (var c in name.Take(ReadableLength))
        {
            readable.Append(char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-');
        }

        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..HashHexDigits].ToLower(CultureInfo.InvariantCulture);
        return readable + Separator + hash;
    }

    private static bool IsPlain(string name)
    {
        if (name.Length > MaxLength || name[0] == '-' || name[^1] == '-' || name.Contains(Separator, StringComparison.Ordinal))
        {
            return false;
        }

        return name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');
    }
}
