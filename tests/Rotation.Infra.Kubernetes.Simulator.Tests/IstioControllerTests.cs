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
        Assert.Equal(rootA.Certificate.ToPem(), trust.IstioRootCertPem("kube-system")); // since 1.21 (namespacecontroller.go)
        Assert.Null(trust.IstioRootCertPem("kube-public"));
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
        store.SeedIstiod(multiRootMesh: true);
        store.PutIstioCaCerts(root, [], [root.Certificate]);

        istiod.Start();
        await Eventually.TrueAsync(() => istiod.IsWaitingToPropagate, "istiod noticing the change");
        clock.Advance(TimeSpan.FromSeconds(9));
        await Task.Delay(100);
        Assert.Null(trust.IstioRootCertPem("app"));

        clock.Advance(TimeSpan.FromSeconds(1));
        // The istiod pod then starts: one more delay before it reads cacerts and publishes.
        await Eventually.TrueAsync(() => istiod.Passes >= 1 && istiod.IsWaitingToPropagate, "istiod starting");
        Assert.Null(trust.IstioRootCertPem("app"));
        clock.Advance(TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => trust.IstioRootCertPem("app") == root.Certificate.ToPem(), "root published after 20 s of controller time");
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
    public async Task On_a_GA_istiod_a_new_intermediate_under_byte_identical_roots_loads_in_place()
    {
        await using var h = await SimulatorHarness.StartAsync();
        var a = TestPki.Hierarchy(Now, name: "A");
        var nextIntermediate = TestPki.Intermediate(a.Root, Now, "CN=Intermediate A2");
        h.Server.Store.SeedIstiod(multiRootMesh: false, version: "1.22.0");
        h.Server.Store.PutIstioCaCerts(a.Intermediate, [a.Root.Certificate], [a.Root.Certificate]);
        await using var istiod = new IstioController(h.Server.Store, new MeshControllerOptions { PropagationDelay = TimeSpan.FromMilliseconds(50) });
        istiod.Start();
        await Eventually.TrueAsync(() => a.Intermediate.Certificate.Equals(istiod.LoadedCa?.Ca.Certificate), "intermediate A loaded");
        var published = h.Server.Store.Get(ResourceKinds.ConfigMaps, "default", IstioNames.RootConfigMap);

        h.Server.Store.PutIstioCaCerts(nextIntermediate, [a.Root.Certificate], [a.Root.Certificate]);
        await Eventually.TrueAsync(() => nextIntermediate.Certificate.Equals(istiod.LoadedCa?.Ca.Certificate), "intermediate A2 loaded in place");

        Assert.Equal(1, istiod.InPlaceReloads);
        // The leader writes the ConfigMap only when the bytes differ (security/pkg/k8s/configutil.go insertData).
        Assert.Equal(KubeObjects.ResourceVersion(published), KubeObjects.ResourceVersion(h.Server.Store.Get(ResourceKinds.ConfigMaps, "default", IstioNames.RootConfigMap)));
    }

    [Fact]
    public async Task Istiod_1_27_0_beta_0_skips_byte_identical_roots_so_only_a_grown_root_file_loads_the_new_intermediate()
    {
        await using var h = await SimulatorHarness.StartAsync();
        var a = TestPki.Hierarchy(Now, name: "A");
        var nextIntermediate = TestPki.Intermediate(a.Root, Now, "CN=Intermediate A2");
        h.Server.Store.SeedIstiod(multiRootMesh: true, version: "1.27.0-beta.0");
        h.Server.Store.PutIstioCaCerts(a.Intermediate, [a.Root.Certificate], [a.Root.Certificate]);
        await using var istiod = new IstioController(h.Server.Store, new MeshControllerOptions { PropagationDelay = TimeSpan.FromMilliseconds(50) });
        istiod.Start();
        await Eventually.TrueAsync(() => a.Intermediate.Certificate.Equals(istiod.LoadedCa?.Ca.Certificate), "intermediate A loaded");

        h.Server.Store.PutIstioCaCerts(nextIntermediate, [a.Root.Certificate], [a.Root.Certificate]);
        await Eventually.TrueAsync(() => istiod.LastDecision == "No changes detected in root cert or CRL file data, skipping update", "istiod skipping the new secret");
        Assert.Equal(a.Intermediate.Certificate, istiod.LoadedCa!.Ca.Certificate);

        h.Server.Store.PutIstioCaCerts(nextIntermediate, [a.Root.Certificate], [a.Root.Certificate, a.Root.Certificate]);
        await Eventually.TrueAsync(() => nextIntermediate.Certificate.Equals(istiod.LoadedCa?.Ca.Certificate), "intermediate A2 loaded");
    }

    [Theory]
    [InlineData("1.19.0", false)]
    [InlineData("1.22.0", false)]
    [InlineData("1.26.2", false)]
    [InlineData("1.30.0", true)]
    public async Task A_reordered_root_bundle_loads_only_where_istiod_compares_certificate_sets(string version, bool loads)
    {
        await using var h = await SimulatorHarness.StartAsync();
        var a = TestPki.Hierarchy(Now, name: "A");
        var b = TestPki.Hierarchy(Now, name: "B");
        h.Server.Store.SeedIstiod(multiRootMesh: true, version: version);
        h.Server.Store.PutIstioCaCerts(a.Intermediate, [a.Root.Certificate], [a.Root.Certificate, b.Root.Certificate]);
        await using var istiod = new IstioController(h.Server.Store, new MeshControllerOptions { PropagationDelay = TimeSpan.FromMilliseconds(30) });
        istiod.Start();
        await Eventually.TrueAsync(() => istiod.LoadedCa is not null, "CA loaded");

        h.Server.Store.PutIstioCaCerts(b.Intermediate, [b.Root.Certificate], [b.Root.Certificate, a.Root.Certificate]);
        await Eventually.TrueAsync(() => istiod.LastDecision is "Istiod certificates are reloaded" or "Updating new ROOT-CA not supported", "istiod deciding");

        Assert.Equal(loads, b.Intermediate.Certificate.Equals(istiod.LoadedCa!.Ca.Certificate));
    }

    [Fact]
    public async Task Istiod_1_19_refuses_an_added_root_and_without_multi_root_1_26_says_multi_root_is_disabled()
    {
        foreach (var (version, multiRoot, line) in new[] { ("1.19.0", true, "Updating new ROOT-CA not supported"), ("1.26.2", false, "Multi root is disabled, updating new ROOT-CA not supported") })
        {
            await using var h = await SimulatorHarness.StartAsync();
            var a = TestPki.Hierarchy(Now, name: "A");
            var b = TestPki.Hierarchy(Now, name: "B");
            h.Server.Store.SeedIstiod(multiRootMesh: multiRoot, version: version);
            h.Server.Store.PutIstioCaCerts(a.Intermediate, [a.Root.Certificate], [a.Root.Certificate]);
            await using var istiod = new IstioController(h.Server.Store, new MeshControllerOptions { PropagationDelay = TimeSpan.FromMilliseconds(30) });
            istiod.Start();
            await Eventually.TrueAsync(() => istiod.LoadedCa is not null, "CA loaded");

            h.Server.Store.PutIstioCaCerts(a.Intermediate, [a.Root.Certificate], [a.Root.Certificate, b.Root.Certificate]);
            await Eventually.TrueAsync(() => istiod.LastDecision == line, $"{version}: {line}");
        }
    }

    [Fact]
    public async Task A_stale_ca_crl_pem_keeps_the_old_CA_and_tls_crt_takes_precedence_over_ca_cert_pem()
    {
        await using var h = await SimulatorHarness.StartAsync();
        var a = TestPki.Hierarchy(Now, name: "A");
        var next = TestPki.Intermediate(a.Root, Now, "CN=Intermediate A2");
        h.Server.Store.SeedIstiod(multiRootMesh: true, version: "1.28.1");
        h.Server.Store.PutIstioCaCerts(a.Intermediate, [a.Root.Certificate], [a.Root.Certificate]);
        AddKeys(h.Server.Store, new() { ["ca-crl.pem"] = TestCrls.SignedBy(a.Intermediate, a.Root) });
        await using var istiod = new IstioController(h.Server.Store, new MeshControllerOptions { PropagationDelay = TimeSpan.FromMilliseconds(30) });
        istiod.Start();
        await Eventually.TrueAsync(() => a.Intermediate.Certificate.Equals(istiod.LoadedCa?.Ca.Certificate), "A loaded with its CRL");

        h.Server.Store.PutIstioCaCerts(next, [a.Root.Certificate], [a.Root.Certificate]);
        AddKeys(h.Server.Store, new() { ["ca-crl.pem"] = TestCrls.SignedBy(a.Intermediate, a.Root) });
        await Eventually.TrueAsync(() => istiod.CaLoadError?.Contains("missing CRL signed by certificates", StringComparison.Ordinal) == true, "stale CRL refused");
        Assert.Equal(a.Intermediate.Certificate, istiod.LoadedCa!.Ca.Certificate);

        AddKeys(h.Server.Store, new()
        {
            ["ca-crl.pem"] = TestCrls.SignedBy(next, a.Root),
            ["tls.crt"] = a.Intermediate.Certificate.ToPem(),
            ["tls.key"] = a.Intermediate.Key.ToPkcs8Pem(),
            ["ca.crt"] = a.Root.Certificate.ToPem(),
        });
        await Eventually.TrueAsync(() => istiod.LastDecision == "Istiod certificates are reloaded", "reloaded");
        Assert.Equal(a.Intermediate.Certificate, istiod.LoadedCa!.Ca.Certificate); // tls.crt wins over ca-cert.pem = A2
    }

    [Fact]
    public async Task Istiod_started_without_cacerts_runs_a_self_signed_CA_and_ignores_cacerts_until_restarted()
    {
        await using var h = await SimulatorHarness.StartAsync();
        var a = TestPki.Hierarchy(Now, name: "A");
        h.Server.Store.SeedIstiod(multiRootMesh: true);
        await using var istiod = new IstioController(h.Server.Store, new MeshControllerOptions { PropagationDelay = TimeSpan.FromMilliseconds(30) });
        istiod.Start();
        await Eventually.TrueAsync(() => istiod.LoadedCa is not null, "self-signed CA");
        Assert.False(istiod.WatchesCacerts);

        h.Server.Store.PutIstioCaCerts(a.Intermediate, [a.Root.Certificate], [a.Root.Certificate]);
        await Task.Delay(300);
        Assert.NotEqual(a.Intermediate.Certificate, istiod.LoadedCa!.Ca.Certificate);

        await h.Client.PatchNamespacedDeploymentAsync(Restart, IstioNames.IstiodDeployment, IstioNames.Namespace);
        await Eventually.TrueAsync(() => a.Intermediate.Certificate.Equals(istiod.LoadedCa?.Ca.Certificate), "plug-in CA after the restart");
        Assert.True(istiod.WatchesCacerts);
    }

    [Fact]
    public async Task A_cacerts_change_reaches_istiod_only_after_the_mounted_file_delay()
    {
        var clock = new FakeTimeProvider(Now);
        var store = new KubeObjectStore(clock);
        var a = TestPki.Hierarchy(Now, name: "A");
        var next = TestPki.Intermediate(a.Root, Now, "CN=Intermediate A2");
        store.SeedIstiod(multiRootMesh: true);
        store.PutIstioCaCerts(a.Intermediate, [a.Root.Certificate], [a.Root.Certificate]);
        await using var istiod = new IstioController(store, new MeshControllerOptions { PropagationDelay = TimeSpan.FromSeconds(1), TimeProvider = clock }) { MountedFileDelay = TimeSpan.FromSeconds(60) };
        istiod.Start();
        for (var i = 0; i < 20 && istiod.LoadedCa is null; i++)
        {
            await Eventually.TrueAsync(() => istiod.IsWaitingToPropagate, "a pass armed");
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20);
        }

        Assert.NotNull(istiod.LoadedCa);
        var passes = istiod.Passes;

        store.PutIstioCaCerts(next, [a.Root.Certificate], [a.Root.Certificate]);
        await Eventually.TrueAsync(() => istiod.IsWaitingToPropagate, "change noticed");
        clock.Advance(TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(() => istiod.Passes > passes, "pass before the mount");
        Assert.Equal(a.Intermediate.Certificate, istiod.LoadedCa!.Ca.Certificate);

        for (var i = 0; i < 10 && !next.Certificate.Equals(istiod.LoadedCa?.Ca.Certificate); i++)
        {
            clock.Advance(TimeSpan.FromSeconds(10));
            await Task.Delay(50);
        }

        Assert.Equal(next.Certificate, istiod.LoadedCa!.Ca.Certificate);
    }

    private static void AddKeys(KubeObjectStore store, Dictionary<string, string> keys)
    {
        var secret = store.Get(ResourceKinds.Secrets, IstioNames.Namespace, IstioNames.CaSecret);
        var data = new Dictionary<string, string>();
        foreach (var key in new[] { "ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem", "ca-crl.pem", "tls.crt", "tls.key", "ca.crt" })
        {
            if (KubeObjects.SecretText(secret, key) is { } text)
                data[key] = text;
        }

        foreach (var (key, value) in keys)
            data[key] = value;
        store.PutSecret(IstioNames.Namespace, IstioNames.CaSecret, data);
    }
}
