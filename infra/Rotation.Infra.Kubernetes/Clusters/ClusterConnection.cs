using k8s;
using Rotation.Core.Ports;
using Rotation.Infra.Kubernetes.Watching;

namespace Rotation.Infra.Kubernetes.Clusters;

/// <summary>An API client for one registered cluster, shared by that cluster's targets.</summary>
public sealed class ClusterConnection : IDisposable
{
    public ClusterConnection(string clusterName, IKubernetes client, KubernetesAdapterOptions options, TimeProvider timeProvider, KeyVaultSecretsAccess? keyVault = null)
    {
        KeyVault = keyVault ?? new KeyVaultSecretsAccess(() => new Azure.Identity.DefaultAzureCredential());
        ClusterName = clusterName;
        Client = client;
        Options = options;
        TimeProvider = timeProvider;
    }

    public string ClusterName { get; }
    public IKubernetes Client { get; }
    public KubernetesAdapterOptions Options { get; }
    public TimeProvider TimeProvider { get; }

    /// <summary>Key Vault secret clients for targets that keep their CA material there (aks-istio).</summary>
    public KeyVaultSecretsAccess KeyVault { get; }

    private readonly Lock _watchLock = new();
    private ClusterChangeWatch? _watch;

    /// <summary>The cluster's change signal; the first call starts the watches (<see cref="ClusterChangeWatch"/>).</summary>
    public ChangeSignal Changes()
    {
        lock (_watchLock)
        {
            if (_watch is null)
            {
                _watch = new ClusterChangeWatch(Client, Options.WatchFallback, TimeProvider);
                _watch.Start();
            }

            return _watch.Signal;
        }
    }

    public void Dispose()
    {
        ClusterChangeWatch? watch;
        lock (_watchLock)
        {
            watch = _watch;
            _watch = null;
        }

        // Stop the watch loops before the client they use goes away.
        watch?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Client.Dispose();
    }
}
