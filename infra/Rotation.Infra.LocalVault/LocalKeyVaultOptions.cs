namespace Rotation.Infra.LocalVault;

public sealed class LocalKeyVaultOptions
{
    /// <summary>Directory of the key files, normally &lt;home&gt;/keys. Created with mode 0700 when missing.</summary>
    public string KeyDirectory { get; set; } = string.Empty;

    /// <summary>
    /// Encrypts every key file. The CLI passes ROTATION_VAULT_PASSPHRASE. When null or empty, a random passphrase
    /// is generated once into &lt;KeyDirectory&gt;/vault.passphrase (mode 0600) and reused.
    /// </summary>
    public string? Passphrase { get; set; }
}
