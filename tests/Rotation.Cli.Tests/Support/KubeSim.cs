using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Infra.Kubernetes.Simulator;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Testing;

namespace Rotation.Cli.Tests.Support;

/// <summary>
/// A simulated Kubernetes cluster on loopback (API server plus istiod and friends) and a kubeconfig file for it, as an
/// operator would have one. Real time throughout: the product talks to it exactly as to a cluster.
/// </summary>
public sealed class KubeSim : IAsyncDisposable
{
    public const string ContextName = "sim";

    private KubeSim(SimulatedKubeCluster cluster, string kubeconfigPath)
    {
        Cluster = cluster;
        KubeconfigPath = kubeconfigPath;
    }

    public SimulatedKubeCluster Cluster { get; }
    public KubeObjectStore Store => Cluster.Store;
    public string KubeconfigPath { get; }

    public static async Task<KubeSim> StartAsync(TempDirectory directory)
    {
        var cluster = new SimulatedKubeCluster(new SimulatedKubeClusterOptions { BearerToken = "cli-test-token", PropagationDelay = TimeSpan.FromMilliseconds(20) });
        await cluster.StartAsync();
        return new KubeSim(cluster, directory.Write("kubeconfig", cluster.Server.CreateKubeconfigYaml(ContextName)));
    }

    /// <summary>istiod (with or without ISTIO_MULTIROOT_MESH) and its plug-in CA from the domain's current issuer, plus one workload namespace.</summary>
    public async Task SeedIstioAsync(IssuerMaterial issuer, bool multiRoot = true, string istiodVersion = "1.26.2")
    {
        var root = issuer.ChainToRoot[^1];
        Store.SeedIstiod(multiRootMesh: multiRoot, version: istiodVersion, proxyConfigXdsAgent: true);
        Store.PutIstioCaCerts(issuer.Issuer, [root], [root]);
        Store.EnsureNamespace("payments");
        // istiod copies its root into every namespace; rotations gate on those copies, so start from a settled mesh.
        await WaitUntilAsync(() => Store.TryGet(ResourceKinds.ConfigMaps, "payments", "istio-ca-root-cert") is not null
            && Cluster.Istio.LoadedCa is not null);
    }

    /// <summary>The istio-system/cacerts secret: ca-cert.pem and the roots in root-cert.pem.</summary>
    public (Certificate Ca, IReadOnlyList<Certificate> Roots) CaCerts()
    {
        var secret = Store.Get(ResourceKinds.Secrets, "istio-system", "cacerts");
        return (Certificate.FromPem(KubeObjects.SecretText(secret, "ca-cert.pem")!), Pem.ReadCertificates(KubeObjects.SecretText(secret, "root-cert.pem")!));
    }

    public static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    public ValueTask DisposeAsync() => Cluster.DisposeAsync();
}
