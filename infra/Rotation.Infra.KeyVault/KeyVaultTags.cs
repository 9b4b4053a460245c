namespace Rotation.Infra.KeyVault;

/// <summary>Tags Rotation writes on every certificate version it makes: who it belongs to and where it is in its life.</summary>
internal static class KeyVaultTags
{
    public const string TrustDomain = "rotation-trust-domain";
    public const string Role = "rotation-role";
    public const string Status = "rotation-status";
    public const string Operation = "rotation-operation";
    public const string Exportable = "rotation-exportable";

    /// <summary>The Rotation key name the certificate holds (its vault name may be a hashed form of it, see KeyVaultNames).</summary>
    public const string KeyName = "rotation-key-name";

    /// <summary>The self-signed version whose key signs the root's real certificate; disabled once that is merged.</summary>
    public const string Temporary = "temporary";
    public const string Active = "active";
    public const string Retired = "retired";

    public static string? Get(IDictionary<string, string> tags, string name) => tags.TryGetValue(name, out var value) ? value : null;
}
