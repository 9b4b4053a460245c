using Azure.Core;

namespace Rotation.Infra.KeyVault;

public sealed class KeyVaultCustodyOptions
{
    /// <summary>https://NAME.vault.azure.net/</summary>
    public Uri? VaultUri { get; set; }

    /// <summary>Create keys as RSA-HSM / EC-HSM (FIPS 140-2 level 2): needs a Premium vault. HSM keys are never exportable.</summary>
    public bool Hsm { get; set; }

    /// <summary>How often a self-signed create is polled until the vault has issued it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Applied to the options of every client this custody builds (certificates, secrets, keys/sign): transport, retry,
    /// diagnostics. One place, so the three clients behave alike.
    /// </summary>
    public Action<ClientOptions>? ConfigureClient { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming what is wrong.</summary>
    public void Validate()
    {
        if (VaultUri is null || !VaultUri.IsAbsoluteUri || VaultUri.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException("Key Vault custody needs the vault's https URI: set VaultUri to https://NAME.vault.azure.net/ (--vault keyvault:https://NAME.vault.azure.net)");
        }

        if (PollInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"PollInterval must be positive, got {PollInterval}");
        }
    }
}
