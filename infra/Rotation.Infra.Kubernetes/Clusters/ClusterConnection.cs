using k8s;

namespace Rotation.Infra.Kubernetes.Clusters;

/// <summary>An API client for one registered cluster, shared by that cluster's targets.</summary>
public sealed class ClusterConnection : IDisposable
{
    public ClusterConnection(string clusterName, IKubernetes client, KubernetesAdapterOptions options, TimeProvider timeProvider)
    {
        ClusterName = clusterName;
        Client = client;
        Options = options;
        TimeProvider = timeProvider;
    }

    public string ClusterName { get; }
    public IKubernetes Client { get; }
    public KubernetesAdapterOptions Options { get; }
    public TimeProvider TimeProvider { get; }

    public void Dispose() => Client.Dispose();
}
