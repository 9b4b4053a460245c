using k8s;
using k8s.Models;
using Rotation.Core.Pki;
using Rotation.Infra.Kubernetes.Simulator.Controllers;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Testing;

namespace Rotation.Infra.Kubernetes.Simulator.Tests;

public sealed class LinkerdControllerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task Pods_keep_the_trust_anchors_they_were_created_with_until_a_rollout_restart_recreates_them()
    {
        await using var h = await SimulatorHarness.StartAsync();
        var rootA = TestPki.Root(Now, "CN=Root A");
        var rootB = TestPki.Root(Now, "CN=Root B");
        h.Server.Store.SeedLinkerd([rootA.Certificate], TestPki.Intermediate(rootA, Now));
        h.Server.Store.PutWorkload("shop", "web", replicas: 2, linkerdMeshed: true);
        h.Server.Store.PutWorkload("shop", "batch", replicas: 1, linkerdMeshed: false);
        await using var linkerd = new LinkerdController(h.Server.Store, new MeshControllerOptions { PropagationDelay = Delay });
        await using var deployments = new WorkloadController(h.Server.Store, new MeshControllerOptions { PropagationDelay = Delay });
        var trust = new ClusterTrustView(h.Server.Store);
        linkerd.Start();
        deployments.Start();

        await Eventually.TrueAsync(() => h.Server.Store.List(ResourceKinds.Pods, "shop").Items.Count == 3, "3 pods");
        var before = trust.LinkerdProxyTrustAnchors("shop");
        Assert.Equal(2, before.Count);
        Assert.All(before.Values, anchors => Assert.Equal(rootA.Certificate.ToPem(), anchors));

        var roots = await h.Client.ReadNamespacedConfigMapAsync(LinkerdNames.TrustRootsConfigMap, LinkerdNames.Namespace);
        var bothRoots = Pem.WriteCertificates([rootA.Certificate, rootB.Certificate]);
        roots.Data[LinkerdNames.TrustRootsKey] = bothRoots;
        await h.Client.ReplaceNamespacedConfigMapAsync(roots, LinkerdNames.TrustRootsConfigMap, LinkerdNames.Namespace);
        await Task.Delay(Delay * 4);
        Assert.Equal(before, trust.LinkerdProxyTrustAnchors("shop"));

        var restart = new V1Patch(
            """{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-11-01T00:00:00Z"}}}}}""",
            V1Patch.PatchType.StrategicMergePatch);
        var patched = await h.Client.PatchNamespacedDeploymentAsync(restart, "web", "shop");
        await Eventually.TrueAsync(
            () => trust.LinkerdProxyTrustAnchors("shop") is { Count: 2 } after && after.Values.All(a => a == bothRoots),
            "restarted pods with both roots");

        var after = trust.LinkerdProxyTrustAnchors("shop");
        Assert.Empty(after.Keys.Intersect(before.Keys));
        var pods = await h.Client.ListNamespacedPodAsync("shop", labelSelector: "app=web");
        Assert.All(pods.Items, p => Assert.Equal("enabled", p.Metadata.Annotations[LinkerdNames.InjectAnnotation]));
        Assert.All(pods.Items, p => Assert.Equal("Running", p.Status.Phase));
        var meshed = await h.Client.ListPodForAllNamespacesAsync(labelSelector: LinkerdNames.ControlPlaneNamespaceLabel);
        Assert.Equal(after.Keys.Order(StringComparer.Ordinal), meshed.Items.Select(p => p.Metadata.Name).Order(StringComparer.Ordinal));
        var batch = Assert.Single((await h.Client.ListNamespacedPodAsync("shop", labelSelector: "app=batch")).Items);
        Assert.DoesNotContain(batch.Spec.Containers, c => c.Name == LinkerdNames.ProxyContainer);
        await Eventually.TrueAsync(
            async () => (await h.Client.ReadNamespacedDeploymentAsync("web", "shop")).Status?.ObservedGeneration == patched.Metadata.Generation,
            "deployment status observed the restart");
        Assert.Null(deployments.LastError);
    }

    [Fact]
    public async Task Namespace_annotation_meshes_pods_created_through_the_api()
    {
        await using var h = await SimulatorHarness.StartAsync();
        var root = TestPki.Root(Now);
        h.Server.Store.SeedLinkerd([root.Certificate], TestPki.Intermediate(root, Now));
        var ns = KubeObjects.New(ResourceKinds.Namespaces, null, "meshed");
        KubeObjects.Metadata(ns)["annotations"] = new System.Text.Json.Nodes.JsonObject { [LinkerdNames.InjectAnnotation] = "enabled" };
        h.Server.Store.Put(ResourceKinds.Namespaces, ns);
        await using var linkerd = new LinkerdController(h.Server.Store, new MeshControllerOptions { PropagationDelay = Delay });
        linkerd.Start();

        var pod = await h.Client.CreateNamespacedPodAsync(
            new V1Pod { Metadata = new V1ObjectMeta { Name = "p" }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "x" }] } }, "meshed");
        await linkerd.StopAsync();
        var unmeshed = await h.Client.CreateNamespacedPodAsync(new V1Pod { Metadata = new V1ObjectMeta { Name = "q" } }, "meshed");

        var proxy = pod.Spec.Containers.Single(c => c.Name == LinkerdNames.ProxyContainer);
        Assert.Equal(root.Certificate.ToPem(), proxy.Env.Single(e => e.Name == LinkerdNames.TrustAnchorsEnv).Value);
        Assert.Null(unmeshed.Spec?.Containers);
    }

    [Fact]
    public async Task Identity_reloads_the_issuer_secret_after_the_delay()
    {
        await using var h = await SimulatorHarness.StartAsync();
        var root = TestPki.Root(Now);
        var issuerA = TestPki.Intermediate(root, Now, "CN=Issuer A");
        var issuerB = TestPki.Intermediate(root, Now, "CN=Issuer B");
        h.Server.Store.SeedLinkerd([root.Certificate], issuerA);
        await using var linkerd = new LinkerdController(h.Server.Store, new MeshControllerOptions { PropagationDelay = Delay });
        linkerd.Start();
        await Eventually.TrueAsync(() => linkerd.LoadedIssuerCertificatePem == issuerA.Certificate.ToPem(), "issuer A loaded");

        var secret = await h.Client.ReadNamespacedSecretAsync(LinkerdNames.IssuerSecret, LinkerdNames.Namespace);
        secret.Data["tls.crt"] = System.Text.Encoding.UTF8.GetBytes(issuerB.Certificate.ToPem());
        secret.Data["tls.key"] = System.Text.Encoding.UTF8.GetBytes(issuerB.Key.ToPkcs8Pem());
        await h.Client.ReplaceNamespacedSecretAsync(secret, LinkerdNames.IssuerSecret, LinkerdNames.Namespace);

        await Eventually.TrueAsync(() => linkerd.LoadedIssuerCertificatePem == issuerB.Certificate.ToPem(), "issuer B loaded");
    }

    [Fact]
    public async Task Identity_refuses_an_issuer_outside_the_trust_roots_until_the_roots_include_its_root()
    {
        await using var h = await SimulatorHarness.StartAsync();
        var a = TestPki.Hierarchy(Now, name: "A");
        var b = TestPki.Hierarchy(Now, name: "B");
        h.Server.Store.SeedLinkerd([a.Root.Certificate], a.Intermediate);
        await using var linkerd = new LinkerdController(h.Server.Store, new MeshControllerOptions { PropagationDelay = Delay });
        linkerd.Start();
        await Eventually.TrueAsync(() => a.Intermediate.Certificate.Equals(linkerd.LoadedIssuer?.Ca.Certificate), "issuer A loaded");

        h.Server.Store.PutSecret(LinkerdNames.Namespace, LinkerdNames.IssuerSecret, new Dictionary<string, string>
        {
            ["tls.crt"] = b.Intermediate.Certificate.ToPem(),
            ["tls.key"] = b.Intermediate.Key.ToPkcs8Pem(),
        });
        await Eventually.TrueAsync(() => linkerd.IssuerLoadError is not null, "issuer B refused");
        Assert.Equal(a.Intermediate.Certificate, linkerd.LoadedIssuer!.Ca.Certificate);
        Assert.Contains("does not verify against the trust roots", linkerd.IssuerLoadError, StringComparison.Ordinal);

        h.Server.Store.PutConfigMap(LinkerdNames.Namespace, LinkerdNames.TrustRootsConfigMap,
            new Dictionary<string, string> { [LinkerdNames.TrustRootsKey] = Pem.WriteCertificates([a.Root.Certificate, b.Root.Certificate]) });
        await Eventually.TrueAsync(() => b.Intermediate.Certificate.Equals(linkerd.LoadedIssuer?.Ca.Certificate), "issuer B loaded");
        Assert.Null(linkerd.IssuerLoadError);
    }
}
