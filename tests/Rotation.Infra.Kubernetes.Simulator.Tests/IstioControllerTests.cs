using k8s;
using Microsoft.Extensions.Time.Testing;
using Rotation.Core.Pki;
using Rotation.Infra.Kubernetes.Simulator.Controllers;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Testing;

namespace Rotation.Infra.Kubernetes.Simulator.Tests;

public sealed class IstioControllerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Istiod_publishes_the_plugged_in_root_to_every_application_namespace_and_follows_changes()
    {
        await using var h = await SimulatorHarness.StartAsync();
        var rootA = TestPki.Root(Now, "CN=Root A");
        var rootB = TestPki.Root(Now, "CN=Root B");
        var intermediate = TestPki.Intermediate(rootA, Now);
        h.Server.Store.CreateNamespaces(3, "app-");
        h.Server.Store.SeedIstiod(multiRootMesh: true);
        h.Server.Store.PutIstioCaCerts(intermediate, [rootA.Certificate], [rootA.Certificate]);
        await using var istiod = new IstioController(h.Server.Store, new MeshControllerOptions { PropagationDelay = TimeSpan.FromMilliseconds(50) });
        var trust = new ClusterTrustView(h.Server.Store);

        istiod.Start();
        await Eventually.TrueAsync(() => trust.IstioRootCertPem("app-0002") == rootA.Certificate.ToPem(), "root A in app-0002");

        var published = await h.Client.ReadNamespacedConfigMapAsync(IstioNames.RootConfigMap, "app-0000");
        Assert.Equal("true", published.Metadata.Labels[IstioNames.ConfigLabel]);
        Assert.Equal(rootA.Certificate.ToPem(), published.Data[IstioNames.RootCertKey]);
        Assert.Null(trust.IstioRootCertPem("kube-system"));
        Assert.Equal(intermediate.Certificate, istiod.LoadedCa?.Ca.Certificate);
        Assert.Null(istiod.CaLoadError);

        var cacerts = await h.Client.ReadNamespacedSecretAsync(IstioNames.CaSecret, IstioNames.Namespace);
        var bothRoots = Pem.WriteCertificates([rootA.Certificate, rootB.Certificate]);
        cacerts.Data[IstioNames.RootCertKey] = System.Text.Encoding.UTF8.GetBytes(bothRoots);
        await h.Client.ReplaceNamespacedSecretAsync(cacerts, IstioNames.CaSecret, IstioNames.Namespace);
        await h.Client.CreateNamespaceAsync(new k8s.Models.V1Namespace { Metadata = new k8s.Models.V1ObjectMeta { Name = "late" } });

        await Eventually.TrueAsync(
            () => new[] { "default", "app-0000", "app-0001", "app-0002", "late" }.All(ns => trust.IstioRootCertPem(ns) == bothRoots),
            "both roots everywhere");
        Assert.Null(istiod.LastError);
    }

    [Fact]
    public async Task Nothing_propagates_before_the_delay_has_elapsed_on_the_controllers_clock()
    {
        var clock = new FakeTimeProvider(Now);
        var store = new KubeObjectStore(clock);
        store.EnsureNamespace("app");
        var root = TestPki.Root(Now);
        await using var istiod = new IstioController(store, new MeshControllerOptions { PropagationDelay = TimeSpan.FromSeconds(10), TimeProvider = clock });
        var trust = new ClusterTrustView(store);
        store.PutIstioCaCerts(root, [], [root.Certificate]);

        istiod.Start();
        await Eventually.TrueAsync(() => istiod.IsWaitingToPropagate, "istiod noticing the change");
        clock.Advance(TimeSpan.FromSeconds(9));
        await Task.Delay(100);
        Assert.Null(trust.IstioRootCertPem("app"));

        clock.Advance(TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => trust.IstioRootCertPem("app") == root.Certificate.ToPem(), "root published after 10 s of controller time");
    }

    [Fact]
    public async Task Without_a_plug_in_ca_secret_istiod_publishes_nothing()
    {
        await using var h = await SimulatorHarness.StartAsync();
        await using var istiod = new IstioController(h.Server.Store, new MeshControllerOptions { PropagationDelay = TimeSpan.FromMilliseconds(20) });

        istiod.Start();
        await Eventually.TrueAsync(() => istiod.Passes >= 1, "a pass");

        Assert.Empty(h.Server.Store.List(ResourceKinds.ConfigMaps).Items);
    }

    [Fact]
    public async Task Seeded_istiod_carries_the_multi_root_setting_in_its_container_env()
    {
        await using var h = await SimulatorHarness.StartAsync();
        h.Server.Store.SeedIstiod(multiRootMesh: true);

        var istiod = await h.Client.ReadNamespacedDeploymentAsync(IstioNames.IstiodDeployment, IstioNames.Namespace);

        var container = istiod.Spec.Template.Spec.Containers.Single(c => c.Name == IstioNames.IstiodContainer);
        Assert.Equal("true", container.Env.Single(e => e.Name == IstioNames.MultiRootEnv).Value);
    }

    private static readonly k8s.Models.V1Patch Restart = new(
        """{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-11-01T00:00:00Z"}}}}}""",
        k8s.Models.V1Patch.PatchType.MergePatch);

    [Fact]
    public async Task Without_multi_root_istiod_refuses_a_new_root_bundle_until_it_restarts()
    {
        await using var h = await SimulatorHarness.StartAsync();
        var a = TestPki.Hierarchy(Now, name: "A");
        var b = TestPki.Hierarchy(Now, name: "B");
        h.Server.Store.SeedIstiod(multiRootMesh: false);
        h.Server.Store.PutIstioCaCerts(a.Intermediate, [a.Root.Certificate], [a.Root.Certificate]);
        await using var istiod = new IstioController(h.Server.Store, new MeshControllerOptions { PropagationDelay = TimeSpan.FromMilliseconds(50) });
        var trust = new ClusterTrustView(h.Server.Store);
        istiod.Start();
        await Eventually.TrueAsync(() => trust.IstioRootCertPem("default") == a.Root.Certificate.ToPem(), "root A published");

        var both = Pem.WriteCertificates([a.Root.Certificate, b.Root.Certificate]);
        h.Server.Store.PutIstioCaCerts(a.Intermediate, [a.Root.Certificate], [a.Root.Certificate, b.Root.Certificate]);
        await Eventually.TrueAsync(() => istiod.CaLoadError is not null, "istiod refusing the new roots");
        Assert.Equal(a.Root.Certificate.ToPem(), trust.IstioRootCertPem("default"));

        await h.Client.PatchNamespacedDeploymentAsync(Restart, IstioNames.IstiodDeployment, IstioNames.Namespace);
        await Eventually.TrueAsync(() => trust.IstioRootCertPem("default") == both, "both roots after the restart");
        Assert.Null(istiod.CaLoadError);
    }

    [Fact]
    public async Task A_new_intermediate_under_byte_identical_roots_waits_for_a_restart_but_a_grown_root_file_loads_it()
    {
        await using var h = await SimulatorHarness.StartAsync();
        var a = TestPki.Hierarchy(Now, name: "A");
        var nextIntermediate = TestPki.Intermediate(a.Root, Now, "CN=Intermediate A2");
        h.Server.Store.SeedIstiod(multiRootMesh: true);
        h.Server.Store.PutIstioCaCerts(a.Intermediate, [a.Root.Certificate], [a.Root.Certificate]);
        await using var istiod = new IstioController(h.Server.Store, new MeshControllerOptions { PropagationDelay = TimeSpan.FromMilliseconds(50) });
        istiod.Start();
        await Eventually.TrueAsync(() => a.Intermediate.Certificate.Equals(istiod.LoadedCa?.Ca.Certificate), "intermediate A loaded");

        h.Server.Store.PutIstioCaCerts(nextIntermediate, [a.Root.Certificate], [a.Root.Certificate]);
        await Eventually.TrueAsync(() => istiod.LastDecision == "No changes detected in root cert, skipping update", "istiod skipping the new secret");
        Assert.Equal(a.Intermediate.Certificate, istiod.LoadedCa!.Ca.Certificate);

        // The published procedure's trick: root-cert.pem = A+A changes the bytes and still contains A.
        h.Server.Store.PutIstioCaCerts(nextIntermediate, [a.Root.Certificate], [a.Root.Certificate, a.Root.Certificate]);
        await Eventually.TrueAsync(() => nextIntermediate.Certificate.Equals(istiod.LoadedCa?.Ca.Certificate), "intermediate A2 loaded");
    }
}
