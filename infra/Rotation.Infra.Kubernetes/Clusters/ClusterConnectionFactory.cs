using Azure.Core;
using Azure.Identity;
using k8s;
using Rotation.Core.Domain;
using Rotation.Core.Ports;
using Rotation.Infra.Kubernetes.Http;

namespace Rotation.Infra.Kubernetes.Clusters;

/// <summary>
/// Builds an API client for a registered cluster: from its kubeconfig (and context), the in-cluster service account,
/// or AKS with an Entra ID token (DefaultAzureCredential unless another credential is given). Every client retries
/// 429/5xx/timeouts per <see cref="KubernetesRetryOptions"/>.
/// </summary>
public sealed class ClusterConnectionFactory
{
    private readonly KubernetesAdapterOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly AksOptions _aksOptions;
    private readonly KeyVaultSecretsAccess _keyVault;
    private readonly Lazy<TokenCredential> _sharedCredential;

    /// <param name="azureCredential">The one credential for AKS (Entra token for the API server) and Key Vault; DefaultAzureCredential when null.</param>
    /// <param name="configureKeyVault">Adjusts the Key Vault secret clients' options (tests: the transport to the Key Vault test server).</param>
    public ClusterConnectionFactory(KubernetesAdapterOptions? options = null, TimeProvider? timeProvider = null, TokenCredential? azureCredential = null, AksOptions? aksOptions = null,
        Action<Azure.Security.KeyVault.Secrets.SecretClientOptions>? configureKeyVault = null)
    {
        _options = options ?? new KubernetesAdapterOptions();
        _timeProvider = timeProvider ?? TimeProvider.System;
        _aksOptions = aksOptions ?? new AksOptions();
        // One credential (one token cache) for every Azure call a connection makes, created on first use.
        _sharedCredential = new Lazy<TokenCredential>(() => azureCredential ?? new DefaultAzureCredential());
        _keyVault = new KeyVaultSecretsAccess(() => _sharedCredential.Value, configureKeyVault);
    }

    public KubernetesAdapterOptions Options => _options;

    /// <summary>Throws <see cref="TargetUnavailableException"/> naming the cluster when its configuration cannot be loaded.</summary>
    public async Task<ClusterConnection> ConnectAsync(ClusterRegistration cluster, CancellationToken cancellationToken = default)
    {
        try
        {
            var configuration = cluster.Connection switch
            {
                ClusterConnectionKind.Kubeconfig => await KubernetesClientConfiguration.BuildConfigFromConfigFileAsync(
                    new FileInfo(cluster.KubeconfigPath ?? throw new DomainException($"cluster '{cluster.Name}' has no kubeconfig path: register it again with --kubeconfig")),
                    currentContext: cluster.Context),
                ClusterConnectionKind.InCluster => KubernetesClientConfiguration.InClusterConfig(),
                ClusterConnectionKind.Aks => await AksConfigurationAsync(cluster, cancellationToken),
                _ => throw new DomainException($"cluster '{cluster.Name}' uses connection '{cluster.Connection}', which the Kubernetes adapter does not serve"),
            };
            return Connect(cluster.Name, configuration);
        }
        catch (Exception ex) when (ex is not DomainException and not OperationCanceledException)
        {
            throw new TargetUnavailableException(cluster.Name, $"cluster '{cluster.Name}': cannot load its connection ({ex.Message.Split('\n')[0]})", ex);
        }
    }

    /// <summary>A client for an explicit configuration (tests, tools).</summary>
    public ClusterConnection Connect(string clusterName, KubernetesClientConfiguration configuration)
    {
        configuration.HttpClientTimeout = Timeout.InfiniteTimeSpan; // the retry handler times each attempt
        var client = new k8s.Kubernetes(configuration, new RetryHandler(_options.Retry, _timeProvider));
        return new ClusterConnection(clusterName, client, _options, _timeProvider, _keyVault);
    }

    private async Task<KubernetesClientConfiguration> AksConfigurationAsync(ClusterRegistration cluster, CancellationToken cancellationToken)
    {
        var credential = _sharedCredential.Value;
        var resourceId = cluster.AksResourceId ?? throw new DomainException($"cluster '{cluster.Name}' has no AKS resource id: register it again with --aks");
        var (server, cas) = await new AksEndpointResolver(credential, _aksOptions).ResolveAsync(resourceId, cancellationToken);
        return new KubernetesClientConfiguration
        {
            Host = server.ToString(),
            SslCaCerts = cas.Count > 0 ? cas : null,
            TokenProvider = new EntraTokenProvider(credential, _aksOptions.ApiServerScope),
        };
    }
}
