using System.Net;
using k8s;
using System.Text;
using Azure.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Rotation.Core.Domain;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Tests.Support;

namespace Rotation.Infra.Kubernetes.Tests;

/// <summary>
/// An AKS registration: ARM (a loopback stand-in answering listClusterUserCredential) gives the API server URL and
/// CA; the API server (the simulator) is then called with the Entra token. No kubeconfig file is involved.
/// </summary>
public sealed class AksConnectionTests : IAsyncLifetime
{
    private const string ResourceId = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-west";
    private readonly List<string> _armCalls = [];
    private SimCluster _cluster = null!;
    private WebApplication _arm = null!;

    public async Task InitializeAsync()
    {
        _cluster = await SimCluster.StartAsync("aks-west");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _arm = builder.Build();
        _arm.Run(async context =>
        {
            _armCalls.Add($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString} {context.Request.Headers.Authorization}");
            var kubeconfig = Convert.ToBase64String(Encoding.UTF8.GetBytes(_cluster.Server.CreateKubeconfigYaml("aks-west")));
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync($$"""{"kubeconfigs":[{"name":"clusterUser","value":"{{kubeconfig}}"}]}""");
        });
        await _arm.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _arm.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task The_api_server_is_found_through_arm_and_called_with_the_entra_token()
    {
        var credential = new FixedCredential(new Dictionary<string, string>
        {
            ["https://management.azure.com/.default"] = "arm-token",
            ["6dae42f8-4368-4678-94ff-3960e28e3630/.default"] = "sim-token",
        });
        var factory = new ClusterConnectionFactory(SimCluster.FastOptions(), azureCredential: credential,
            aksOptions: new AksOptions { ArmEndpoint = new Uri(_arm.Urls.First() + "/") });
        var registration = new ClusterRegistration("aks-west", "mesh.example.internal", ClusterConnectionKind.Aks, null, null, ResourceId, [], DateTimeOffset.UnixEpoch);

        using var connection = await factory.ConnectAsync(registration);
        var namespaces = await connection.Client.CoreV1.ListNamespaceAsync();

        Assert.Contains(namespaces.Items, n => n.Metadata.Name == "default");
        var call = Assert.Single(_armCalls);
        Assert.StartsWith($"POST {ResourceId}/listClusterUserCredential?api-version=", call, StringComparison.Ordinal);
        Assert.EndsWith("Bearer arm-token", call, StringComparison.Ordinal);
        Assert.Equal(["https://management.azure.com/.default", "6dae42f8-4368-4678-94ff-3960e28e3630/.default"], credential.Scopes.Distinct());
    }

    [Fact]
    public async Task A_rejected_token_makes_the_cluster_unavailable_by_name()
    {
        var credential = new FixedCredential(new Dictionary<string, string>
        {
            ["https://management.azure.com/.default"] = "arm-token",
            ["6dae42f8-4368-4678-94ff-3960e28e3630/.default"] = "wrong-token",
        });
        var factory = new ClusterConnectionFactory(SimCluster.FastOptions(), azureCredential: credential,
            aksOptions: new AksOptions { ArmEndpoint = new Uri(_arm.Urls.First() + "/") });
        var registration = new ClusterRegistration("aks-west", "mesh.example.internal", ClusterConnectionKind.Aks, null, null, ResourceId,
            [new TargetSpec("istio", new Dictionary<string, string>())], DateTimeOffset.UnixEpoch);

        using var connection = await factory.ConnectAsync(registration);
        var target = Rotation.Infra.Kubernetes.Targets.TargetCatalog.Create(connection, registration.Targets[0]);
        var ex = await Assert.ThrowsAsync<Rotation.Core.Ports.TargetUnavailableException>(() => target.ReportTrustAsync());

        Assert.Contains("unauthorized", ex.Reason, StringComparison.Ordinal);
        Assert.Equal("aks-west/istio", ex.Target);
    }

    private sealed class FixedCredential(IReadOnlyDictionary<string, string> tokens) : TokenCredential
    {
        public List<string> Scopes { get; } = [];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            var scope = requestContext.Scopes.Single();
            lock (Scopes)
                Scopes.Add(scope);
            return new AccessToken(tokens[scope], DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
