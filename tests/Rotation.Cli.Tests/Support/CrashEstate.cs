using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Simulator;
using Rotation.Infra.Kubernetes.Simulator.Controllers;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Testing;

namespace Rotation.Cli.Tests.Support;

/// <summary>
/// Two simulated clusters (real API servers on loopback, istiod with a plug-in CA and ISTIO_MULTIROOT_MESH, two
/// workload namespaces each) registered in a real home made by `rotation init` (see <see cref="InitializedHome"/>): what a crashed driver leaves behind.
/// </summary>
public sealed class CrashEstate : IAsyncDisposable
{
    public const string Domain = "mesh.example.internal";
    public static readonly string[] WorkloadNamespaces = ["payments", "web"];
    private readonly TempDirectory _temp;

    private CrashEstate(TempDirectory temp, IReadOnlyList<(string Name, SimulatedKubeCluster Cluster)> clusters)
    {
        _temp = temp;
        Clusters = clusters;
    }

    public IReadOnlyList<(string Name, SimulatedKubeCluster Cluster)> Clusters { get; }

    public string Home => _temp.File("home");

    public ProcessRunner Cli => new(Home);

    public static async Task<CrashEstate> StartAsync(InitializedHome template)
    {
        var temp = new TempDirectory("rotation-crash");
        var clusters = new List<(string, SimulatedKubeCluster)>();
        var estate = new CrashEstate(temp, clusters);
        try
        {
            var cli = estate.Cli;
            template.CopyTo(estate.Home);
            var issuer = await Homes.ActiveIssuerAsync(estate.Home, Domain, cli.Environment[CliContext.PassphraseVariable]!);
            var root = issuer.Bundle.ToList();
            var registry = ClusterRegistry.Create(Homes.Store(estate.Home));
            foreach (var name in new[] { "east", "west" })
            {
                var cluster = new SimulatedKubeCluster(new SimulatedKubeClusterOptions { BearerToken = $"{name}-token", PropagationDelay = TimeSpan.FromMilliseconds(30) });
                clusters.Add((name, cluster));
                await cluster.StartAsync();
                cluster.Store.SeedIstiod(multiRootMesh: true, proxyConfigXdsAgent: true);
                cluster.Store.PutIstioCaCerts(issuer.Issuer, root, root);
                foreach (var ns in WorkloadNamespaces)
                {
                    cluster.Store.PutWorkload(ns, "app");
                }

                var kubeconfig = temp.Write($"{name}.kubeconfig", cluster.Server.CreateKubeconfigYaml(name));
                await registry.AddAsync(new ClusterAddRequest(name, Domain, ClusterConnectionKind.Kubeconfig, kubeconfig, null, null,
                    [new TargetSpec("istio", new Dictionary<string, string>())]));
            }

            await WaitForAsync(() => clusters.All(c => c.Item2.Istio.LoadedCa is not null && WorkloadNamespaces.All(ns => RootBundle(c.Item2, ns) is not null)), "istiod to load cacerts and publish istio-ca-root-cert");
            return estate;
        }
        catch
        {
            await estate.DisposeAsync();
            throw;
        }
    }

    /// <summary>The roots a namespace's workloads trust: its istio-ca-root-cert ConfigMap.</summary>
    public static TrustBundle? RootBundle(SimulatedKubeCluster cluster, string ns)
    {
        var configMap = cluster.Store.TryGet(ResourceKinds.ConfigMaps, ns, IstioNames.RootConfigMap);
        var pem = configMap is null ? null : KubeObjects.ConfigMapText(configMap, IstioNames.RootCertKey);
        return pem is null ? null : TrustBundle.FromPem(pem, $"{ns}/{IstioNames.RootConfigMap}");
    }

    public static async Task WaitForAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, cluster) in Clusters)
        {
            await cluster.DisposeAsync();
        }

        _temp.Dispose();
    }
}
