using System.Collections.Concurrent;
using Azure.Core;
using Azure.Security.KeyVault.Secrets;

namespace Rotation.Infra.Kubernetes.Clusters;

/// <summary>
/// Key Vault secret clients for targets whose CA material lives in Key Vault (the AKS Istio add-on's plug-in CA),
/// one per vault, all on the process's one <see cref="TokenCredential"/> (the one AKS connections use).
/// </summary>
public sealed class KeyVaultSecretsAccess
{
    private readonly Func<TokenCredential> _credential;
    private readonly Action<SecretClientOptions>? _configure;
    private readonly ConcurrentDictionary<Uri, SecretClient> _clients = new();

    /// <param name="configure">Adjusts each client's options (tests: the transport to the Key Vault test server).</param>
    public KeyVaultSecretsAccess(Func<TokenCredential> credential, Action<SecretClientOptions>? configure = null)
    {
        _credential = credential;
        _configure = configure;
    }

    public SecretClient ClientFor(Uri vault) => _clients.GetOrAdd(vault, uri =>
    {
        var options = new SecretClientOptions();
        _configure?.Invoke(options);
        return new SecretClient(uri, _credential(), options);
    });
}
