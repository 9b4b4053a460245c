using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Infra.Kubernetes.Simulator;
using Rotation.Infra.Kubernetes.Simulator.Controllers;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Infra.Kubernetes.Targets;

namespace Rotation.Functions.Tests.EstateWatch;

/// <summary>
/// A simulated API server (with its watches) carrying a trust-manager Bundle whose source holds the domain's root, and
/// the simulated trust-manager that copies the source into every namespace. The controller is stopped once the
/// targets hold the first root, so the cluster "loads" a new root only when the test calls <see cref="LoadAsync"/>.
/// </summary>
public sealed class TrustManagerCluster : IAsyncDisposable
{
    public const string Name = "prod-west";
    public const string Bundle = "mesh-bundle";

    private TrustManagerCluster(SimulatedKubeApiServer server, TrustManagerController trustManager, string kubeconfig)
    {
        Server = server;
        TrustManager = trustManager;
        KubeconfigPath = kubeconfig;
    }

    public SimulatedKubeApiServer Server { get; }
    public TrustManagerController TrustManager { get; }
    public string KubeconfigPath { get; }
    public KubeObjectStore Store => Server.Store;

    public static async Task<TrustManagerCluster> StartAsync(Certificate root, string kubeconfigPath)
    {
        var server = new SimulatedKubeApiServer(new SimulatedKubeApiServerOptions { BearerToken = "sim-token" });
        await server.StartAsync();
        server.Store.EnsureNamespace("payments");
        server.Store.PutConfigMap("cert-manager", "mesh-roots", new Dictionary<string, string> { ["ca.crt"] = root.ToPem() });
        server.Store.PutBundle(Bundle, [("mesh-roots", "ca.crt")], "roots.pem");
        var trustManager = new TrustManagerController(server.Store, new MeshControllerOptions { PropagationDelay = TimeSpan.FromMilliseconds(50) });
        var cluster = new TrustManagerCluster(server, trustManager, kubeconfigPath);
        File.WriteAllText(kubeconfigPath, server.CreateKubeconfigYaml("sim"));
        trustManager.Start();
        await cluster.UntilAsync(() => cluster.TargetHolds(root), "trust-manager copied the first root into payments");
        await trustManager.StopAsync();
        return cluster;
    }

    public ClusterRegistration Registration(string domain) =>
        new(Name, domain, ClusterConnectionKind.Kubeconfig, KubeconfigPath, "sim", null, [TargetSpecParser.Parse($"trust-manager:bundle={Bundle},sourceName=mesh-roots")], DateTimeOffset.UtcNow);

    /// <summary>True when the Bundle's target in payments holds <paramref name="root"/>.</summary>
    public bool TargetHolds(Certificate root) =>
        Store.TryGet(ResourceKinds.ConfigMaps, "payments", Bundle) is { } map
        && KubeObjects.ConfigMapText(map, "roots.pem") is { } pem
        && Pem.ReadCertificates(pem).Any(c => c.Sha256 == root.Sha256);

    /// <summary>trust-manager runs again: every target gets what the source holds now (Rotation wrote the new bundle there).</summary>
    public void Load() => TrustManager.Start();

    public async Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"timed out waiting for: {what}");
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await TrustManager.DisposeAsync();
        await Server.DisposeAsync();
    }
}
