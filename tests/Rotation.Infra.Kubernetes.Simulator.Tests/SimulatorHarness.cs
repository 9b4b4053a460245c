using k8s.Autorest;
using k8s.Models;

namespace Rotation.Infra.Kubernetes.Simulator.Tests;

/// <summary>A started simulated API server and a real KubernetesClient pointed at it.</summary>
public sealed class SimulatorHarness : IAsyncDisposable
{
    private SimulatorHarness(SimulatedKubeApiServer server, k8s.Kubernetes client)
    {
        Server = server;
        Client = client;
    }

    public SimulatedKubeApiServer Server { get; }

    public k8s.Kubernetes Client { get; }

    public static async Task<SimulatorHarness> StartAsync(SimulatedKubeApiServerOptions? options = null)
    {
        var server = new SimulatedKubeApiServer(options);
        await server.StartAsync();
        return new SimulatorHarness(server, server.CreateClient());
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }

    /// <summary>The metav1.Status the server sent with an error.</summary>
    public static V1Status StatusOf(HttpOperationException e) => k8s.KubernetesJson.Deserialize<V1Status>(e.Response.Content);
}
