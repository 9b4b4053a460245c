using Azure.Core;
using Azure.Identity;

namespace Rotation.Infra.KeyVault;

/// <summary>
/// The one <see cref="TokenCredential"/> every Azure client of a process shares (Key Vault certificates, secrets,
/// keys/sign; Tables and Event Grid beside them): a user-assigned managed identity when a client id is given, else
/// DefaultAzureCredential (managed identity in Azure, developer sign-in elsewhere). Sharing it shares its token cache.
/// </summary>
public static class KeyVaultCredentials
{
    public static TokenCredential Create(string? managedIdentityClientId = null) =>
        string.IsNullOrWhiteSpace(managedIdentityClientId)
            ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(managedIdentityClientId));
}
