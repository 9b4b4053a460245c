using Rotation.Infra.Kubernetes.Simulator.Controllers;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator;

/// <summary>An API server with every simulated controller running against it: one cluster for a drill or a test.</summary>
public sealed class SimulatedKubeCluster : IAsyncDisposable
{
    public SimulatedKubeCluster(SimulatedKubeClusterOptions? options = null)
    {
        var o = options ?? new SimulatedKubeClusterOptions();
        Server = new SimulatedKubeApiServer(new SimulatedKubeApiServerOptions { TimeProvider = o.TimeProvider, BearerToken = o.BearerToken });
        var controllerOptions = new MeshControllerOptions { PropagationDelay = o.PropagationDelay, TimeProvider = o.TimeProvider };
        Workloads = new WorkloadController(Store, new MeshControllerOptions { PropagationDelay = o.RolloutDelay ?? o.PropagationDelay, TimeProvider = o.TimeProvider });
        Istio = new IstioController(Store, controllerOptions, o.IstioLayout);
        Linkerd = new LinkerdController(Store, controllerOptions);
        CertManager = new CertManagerController(Store, controllerOptions);
        TrustManager = new TrustManagerController(Store, controllerOptions);
        Trust = new ClusterTrustView(Store);
        Server.PodPorts.Register(request => Istio.ServePort(request.Namespace, request.Pod, request.Port, request.PathAndQuery) is { } answer
            ? new PortForward.PodHttpAnswer(200, answer.ContentType, answer.Body)
            : null);
    }

    public SimulatedKubeApiServer Server { get; }

    public KubeObjectStore Store => Server.Store;

    public WorkloadController Workloads { get; }

    public IstioController Istio { get; }

    public LinkerdController Linkerd { get; }

    public CertManagerController CertManager { get; }

    public TrustManagerController TrustManager { get; }

    public ClusterTrustView Trust { get; }

    public IReadOnlyList<SimulatedMeshController> Controllers => [Workloads, Istio, Linkerd, CertManager, TrustManager];

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await Server.StartAsync(cancellationToken);
        foreach (var controller in Controllers)
        {
            controller.Start();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var controller in Controllers)
        {
            await controller.StopAsync();
        }

        await Server.DisposeAsync();
    }
}
