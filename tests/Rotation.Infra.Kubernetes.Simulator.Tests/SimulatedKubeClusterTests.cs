using k8s;
using k8s.Models;
using Rotation.Core.Pki;
using Rotation.Infra.Kubernetes.Simulator.Controllers;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Testing;

namespace Rotation.Infra.Kubernetes.Simulator.Tests;

public sealed class SimulatedKubeClusterTests
{
    [Fact]
    public async Task A_whole_cluster_serves_every_mesh_and_reports_what_each_namespace_trusts()
    {
        var now = DateTimeOffset.UtcNow;
        await using var cluster = new SimulatedKubeCluster(new SimulatedKubeClusterOptions { PropagationDelay = TimeSpan.FromMilliseconds(30) });
        await cluster.StartAsync();
        var a = TestPki.Hierarchy(now, name: "A");
        cluster.Store.SeedIstiod(multiRootMesh: true);
        cluster.Store.PutIstioCaCerts(a.Intermediate, [a.Root.Certificate], [a.Root.Certificate]);
        cluster.Store.SeedLinkerd([a.Root.Certificate], a.Intermediate);
        cluster.Store.PutCaSecret(CertManagerNames.Namespace, "mesh-ca", a.Intermediate, [a.Root.Certificate], [a.Root.Certificate]);
        cluster.Store.PutConfigMap(CertManagerNames.Namespace, "roots", new Dictionary<string, string> { ["ca.crt"] = a.Root.Certificate.ToPem() });
        cluster.Store.PutCaIssuer(null, "mesh-ca", "mesh-ca");
        cluster.Store.PutWorkload("shop", "web", replicas: 1, linkerdMeshed: true);
        cluster.Store.PutCertificate("shop", "web", "web-tls", "mesh-ca", "ClusterIssuer");
        cluster.Store.PutBundle("mesh-roots", [("roots", "ca.crt")], "roots.pem");
        var rootPem = a.Root.Certificate.ToPem();

        await Eventually.TrueAsync(() =>
        {
            var trust = cluster.Trust.Of("shop");
            return trust.IstioRootCertPem == rootPem
                && trust.LinkerdProxyTrustAnchorsByPod.Count == 1 && trust.LinkerdProxyTrustAnchorsByPod.Values.Single() == rootPem
                && trust.BundlePemByName.GetValueOrDefault("mesh-roots") == rootPem.Trim() // trust-manager trims its output
                && cluster.Store.TryGet(Store.ResourceKinds.Secrets, "shop", "web-tls") is not null;
        }, "every mesh's trust in namespace shop, and the web certificate");

        using var client = new k8s.Kubernetes(cluster.Server.CreateClientConfiguration());
        var secret = await client.ReadNamespacedSecretAsync("web-tls", "shop");
        Assert.True(Pem.ReadCertificates(System.Text.Encoding.UTF8.GetString(secret.Data["tls.crt"]))[0].IsSignedBy(a.Intermediate.Certificate));
        Assert.All(cluster.Controllers, c => Assert.Null(c.LastError));
        Assert.All(cluster.Controllers, c => Assert.True(c.IsRunning));
    }

    [Fact]
    public async Task Istio_root_reaches_2000_namespaces_and_a_paginated_read_sees_all_of_them()
    {
        var now = DateTimeOffset.UtcNow;
        await using var cluster = new SimulatedKubeCluster(new SimulatedKubeClusterOptions { PropagationDelay = TimeSpan.FromMilliseconds(20) });
        await cluster.StartAsync();
        cluster.Store.CreateNamespaces(2000, "tenant-");
        var root = TestPki.Root(now);
        cluster.Store.PutIstioCaCerts(root, [], [root.Certificate]);
        cluster.Store.SeedIstiod(multiRootMesh: true);
        using var client = new k8s.Kubernetes(cluster.Server.CreateClientConfiguration());

        var seen = 0;
        await Eventually.TrueAsync(async () =>
        {
            seen = 0;
            string? token = null;
            do
            {
                var page = await client.ListConfigMapForAllNamespacesAsync(fieldSelector: $"metadata.name={IstioNames.RootConfigMap}", limit: 500, continueParameter: token);
                seen += page.Items.Count(c => c.Data[IstioNames.RootCertKey] == root.Certificate.ToPem());
                token = page.Metadata.ContinueProperty;
            }
            while (!string.IsNullOrEmpty(token));
            return seen == 2003; // every tenant, default, istio-system and (since 1.21) kube-system; kube-public and kube-node-lease are skipped
        }, "root in every application namespace", TimeSpan.FromSeconds(20));
    }
}
