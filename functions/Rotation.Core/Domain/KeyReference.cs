namespace Rotation.Core.Domain;

/// <summary>
/// Where a CA's private key lives: a vault provider ("local", "keyvault"), the key's name there and, when known, the
/// version. Never the key itself. Key Vault makes a new version whenever a key is created under an existing name, so a
/// reference without a version means "the current version", which can change under the caller; custody hands out
/// versioned references and callers keep them.
/// </summary>
public sealed record KeyReference(string Provider, string Name, string? Version = null)
{
    /// <summary>The same key name without a version (the current version).</summary>
    public KeyReference Unversioned => Version is null ? this : this with { Version = null };

    public override string ToString() => Version is null ? $"{Provider}:{Name}" : $"{Provider}:{Name}@{Version}";
}
