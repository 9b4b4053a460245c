using Rotation.Infra.KeyVault;

namespace Rotation.Cli;

/// <summary>"local" (the default: the home's keys/ directory) or "keyvault:https://NAME.vault.azure.net".</summary>
internal static class VaultAddress
{
    public const string Local = "local";
    public const string KeyVaultScheme = "keyvault";

    /// <summary>Throws a one-line <see cref="UsageException"/> for anything but local or keyvault:https://HOST[/].</summary>
    public static void Check(AdapterSetting? setting) => Parse(setting);

    /// <summary>The Key Vault URI, or null for the local vault.</summary>
    public static Uri? Parse(AdapterSetting? setting)
    {
        if (setting is null || setting.Value == Local)
        {
            return null;
        }

        var (scheme, rest) = Addresses.Split(setting.Value);
        if (scheme != KeyVaultScheme)
        {
            throw new UsageException($"{setting.Source} '{setting.Value}': unknown vault '{scheme}'; use keyvault:https://NAME.vault.azure.net or {Local}");
        }

        if (!Uri.TryCreate(rest, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || string.IsNullOrEmpty(uri.Host)
            || uri.AbsolutePath != "/" || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            throw new UsageException($"{setting.Source} '{setting.Value}': the vault is its https URL with nothing after the host, e.g. keyvault:https://NAME.vault.azure.net");
        }

        var options = new KeyVaultCustodyOptions { VaultUri = uri };
        options.Validate();
        return uri;
    }
}

/// <summary>"scheme:rest" as every adapter address is written.</summary>
internal static class Addresses
{
    public static (string Scheme, string Remainder) Split(string address)
    {
        var colon = address.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? (address, string.Empty) : (address[..colon], address[(colon + 1)..]);
    }
}
