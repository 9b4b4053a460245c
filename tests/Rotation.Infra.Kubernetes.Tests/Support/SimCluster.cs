using Rotation.Core.Domain;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Simulator;
using Rotation.Infra.Kubernetes.Simulator.Api;
using Rotation.Infra.Kubernetes.Simulator.Faults;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Testing;

namespace Rotation.Infra.Kubernetes.Tests.Support;

/// <summary>
/// A simulated API server on loopback and a connection to it made the product's way: from a kubeconfig file,
/// through the retry handler. Retries are fast so fault tests stay quick.
/// </summary>
public sealed class SimCluster : IAsyncDisposable
{
    private readonly TempDirectory _directory = new("rotation-k8s");

    private SimCluster(string name, SimulatedKubeApiServer server, KubernetesAdapterOptions options, SimulatedKubeCluster? mesh)
    {
        Name = name;
        Server = server;
        Options = options;
        Mesh = mesh;
    }

    /// <summary>The simulated mesh controllers (istiod, Linkerd, cert-manager, trust-manager, rollouts), when started with them.</summary>
    public SimulatedKubeCluster? Mesh { get; }

    public string Name { get; }
    public SimulatedKubeApiServer Server { get; }
    public KubernetesAdapterOptions Options { get; }
    public KubeObjectStore Store => Server.Store;
    public RequestLog Requests => Server.Requests;
    public FaultInjector Faults => Server.Faults;
    public ClusterConnection Connection { get; private set; } = null!;
    public string KubeconfigPath { get; private set; } = "";
    public ClusterConnectionFactory Factory { get; private set; } = null!;

    public static KubernetesAdapterOptions FastOptions(TimeSpan? attemptTimeout = null) => new()
    {
        Retry = new KubernetesRetryOptions
        {
            MaxAttempts = 5,
            InitialBackoff = TimeSpan.FromMilliseconds(10),
            MaxBackoff = TimeSpan.FromMilliseconds(100),
            AttemptTimeout = attemptTimeout ?? TimeSpan.FromSeconds(5),
            MaxRetryAfter = TimeSpan.FromSeconds(5),
        },
        RolloutPollInterval = TimeSpan.FromMilliseconds(20),
        RolloutTimeout = TimeSpan.FromSeconds(5),
        // The simulated kubelet's mount lag is zero unless a test sets LinkerdController.TrustRootsVolumeLag.
        MountedConfigMapSyncWait = TimeSpan.Zero,
    };

    /// <param name="clock">The simulated cluster's idea of "now" (certificate validity, timestamps); its delays stay real.</param>
    /// <param name="istioLayout">Where the simulated istiod runs (upstream Istio by default, or the AKS add-on).</param>
    /// <param name="factory">Makes the connection (default: from the kubeconfig, with no Azure credential).</param>
    public static async Task<SimCluster> StartAsync(string name = "prod-west", KubernetesAdapterOptions? options = null, bool controllers = false, TimeProvider? clock = null,
        Rotation.Infra.Kubernetes.Simulator.Controllers.IstioLayout? istioLayout = null, ClusterConnectionFactory? factory = null)
    {
        SimulatedKubeCluster? mesh = null;
        SimulatedKubeApiServer server;
        if (controllers)
        {
            mesh = new SimulatedKubeCluster(new SimulatedKubeClusterOptions { BearerToken = "sim-token", PropagationDelay = TimeSpan.FromMilliseconds(30), TimeProvider = clock ?? TimeProvider.System, IstioLayout = istioLayout });
            await mesh.StartAsync();
            server = mesh.Server;
        }
        else
        {
            server = new SimulatedKubeApiServer(new SimulatedKubeApiServerOptions { BearerToken = "sim-token" });
            await server.StartAsync();
        }

        var cluster = new SimCluster(name, server, options ?? FastOptions(), mesh);
        cluster.KubeconfigPath = cluster._directory.Write("kubeconfig", server.CreateKubeconfigYaml("sim"));
        // One clock for the cluster and Rotation, as on a real cluster whose clocks agree (the gates compare write times with pod starts and events).
        cluster.Factory = factory ?? new ClusterConnectionFactory(cluster.Options, clock);
        cluster.Connection = await cluster.Factory.ConnectAsync(cluster.Registration([]));
        return cluster;
    }

    public ClusterRegistration Registration(IReadOnlyList<TargetSpec> targets, string domain = "mesh.example.internal") =>
        new(Name, domain, ClusterConnectionKind.Kubeconfig, KubeconfigPath, "sim", null, targets, DateTimeOffset.UnixEpoch);

    public IReadOnlyList<RecordedRequest> Writes() => Requests.Writes();

    public async ValueTask DisposeAsync()
    {
        Connection.Dispose();
        if (Mesh is not null)
            await Mesh.DisposeAsync();
        else
            await Server.DisposeAsync();
        _directory.Dispose();
    }
}
