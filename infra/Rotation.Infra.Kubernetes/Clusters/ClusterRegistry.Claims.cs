using k8s;
using Rotation.Core.Domain;
using Rotation.Core.Ports;
using Rotation.Infra.Files;
using Rotation.Infra.Kubernetes.Targets;

namespace Rotation.Infra.Kubernetes.Clusters;

/// <summary>
/// Two registrations may not claim the same object: two domains writing one cacerts secret would each overwrite the
/// other's trust. An object is identified by the API server it lives on and its kind, namespace and name.
/// </summary>
public sealed partial class ClusterRegistry
{
    private async Task EnsureUnclaimedAsync(ClusterAddRequest request, string? kubeconfig, string? context, string? aks, CancellationToken cancellationToken)
    {
        var server = await ServerOfAsync(request.Connection, kubeconfig, context, aks);
        if (server is null)
            return;
        var wanted = request.Targets.SelectMany(TargetObjects.Of).ToHashSet(StringComparer.Ordinal);
        foreach (var other in await _store.ListClustersAsync(null, cancellationToken))
        {
            if (other.Connection == ClusterConnectionKind.Simulated)
                continue;
            string? otherServer;
            try
            {
                otherServer = await ServerOfAsync(other.Connection, other.KubeconfigPath, other.Context, other.AksResourceId);
            }
            catch (DomainException)
            {
                continue; // its kubeconfig is gone: it cannot write anything either
            }

            if (otherServer != server)
                continue;
            var shared = other.Targets.SelectMany(TargetObjects.Of).FirstOrDefault(wanted.Contains);
            if (shared is not null)
                throw new UnsafeStepException($"{shared} on {server} is already claimed by cluster '{other.Name}' of trust domain '{other.Domain}': one object belongs to one domain; rotate it from '{other.Domain}', or remove that registration first ('rotation cluster remove {other.Name}')");
        }
    }

    /// <summary>The API server's address for a kubeconfig context, the AKS resource id, or "in-cluster".</summary>
    private static async Task<string?> ServerOfAsync(ClusterConnectionKind kind, string? kubeconfig, string? context, string? aks)
    {
        switch (kind)
        {
            case ClusterConnectionKind.Kubeconfig when kubeconfig is not null:
                k8s.KubeConfigModels.K8SConfiguration config;
                try
                {
                    config = await KubernetesClientConfiguration.LoadKubeConfigAsync(new FileInfo(kubeconfig));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or k8s.Exceptions.KubeConfigException or YamlDotNet.Core.YamlException)
                {
                    throw new DomainException($"kubeconfig '{kubeconfig}' cannot be read");
                }

                var contextName = context ?? config.CurrentContext;
                var clusterName = config.Contexts?.FirstOrDefault(c => c.Name == contextName)?.ContextDetails?.Cluster;
                var server = config.Clusters?.FirstOrDefault(c => c.Name == clusterName)?.ClusterEndpoint?.Server;
                return server?.TrimEnd('/').ToLowerInvariant();
            case ClusterConnectionKind.Aks:
                return aks?.ToLowerInvariant();
            case ClusterConnectionKind.InCluster:
                return "in-cluster";
            default:
                return null;
        }
    }

    /// <summary>What every target of a registered cluster (or host) holds now (for `rotation adopt --from-cluster`). Writes nothing.</summary>
    public async Task<(ClusterRegistration Cluster, IReadOnlyList<TargetContent> Contents)> ReadContentAsync(string name, ClusterConnectionFactory factory, CancellationToken cancellationToken = default)
    {
        var cluster = await RequireAsync(name, cancellationToken);
        if (cluster.Connection == ClusterConnectionKind.Host)
            return (cluster, await ReadHostContentAsync(cluster, cancellationToken));
        using var connection = await factory.ConnectAsync(cluster, cancellationToken);
        var contents = new List<TargetContent>();
        foreach (var spec in cluster.Targets)
            contents.Add(await TargetCatalog.Create(connection, spec).ReadContentAsync(cancellationToken));
        return (cluster, contents);
    }

    /// <summary>A host has no API server: its files targets read their directory (ca-bundle.pem, issuer.crt, issuer-chain.pem, issuer.key).</summary>
    private async Task<IReadOnlyList<TargetContent>> ReadHostContentAsync(ClusterRegistration cluster, CancellationToken cancellationToken)
    {
        var contents = new List<TargetContent>();
        foreach (var spec in cluster.Targets)
        {
            using var target = new FilesTarget($"{cluster.Name}/{spec.Kind}", FilesTargetOptions.From(spec.Options), new StoreDomainMaterial(_store, cluster.Domain));
            contents.Add(await target.ReadContentAsync(cancellationToken));
        }

        return contents;
    }
}
