using Rotation.Core.Pki;
using Rotation.Core.Rotations;
using Rotation.Drill.Drills;
using Rotation.Drill.Estate;
using Rotation.Drill.Kubernetes;
using Rotation.Infra.Kubernetes.Simulator.Controllers;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Infra.LocalVault;
using Rotation.Infra.Sqlite;
using Rotation.Testing;

namespace Rotation.Drill.Tests;

/// <summary>
/// The engine rotates simulated Kubernetes clusters through the real Kubernetes adapter (kubeconfig registration,
/// KubernetesTargetResolver, IstioPluginCaTarget over HTTP), and the workloads take trust and leaves only from what
/// the clusters hold: their namespace's istio-ca-root-cert ConfigMap and the CA istiod loaded.
/// </summary>
public sealed class KubernetesEngineDrillTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Theory]
    [InlineData(RotationKind.Root)]
    [InlineData(RotationKind.Intermediate)]
    public async Task A_rotation_through_the_Kubernetes_adapter_fails_no_handshake(RotationKind kind)
    {
        using var home = new TempDirectory("rotation-drill-k8s");
        var time = TimeProvider.System;
        var store = new SqliteStateStore(new SqliteStoreOptions { DatabasePath = home.File("rotation.db") });
        var vault = new LocalKeyCustody(new LocalKeyVaultOptions { KeyDirectory = home.File("keys"), Passphrase = "drill-test-passphrase" });
        var request = new DrillRequest(EstateFixture.Domain, kind, new SimulatedEstateOptions
        {
            Clusters = 2,
            WorkloadsPerCluster = 2,
            Cluster = EstateFixture.FastPhysics,
        }, EstateFixture.Drill);

        await using var run = await EngineDrill.StartKubernetesAsync(store, vault, request, home.Path, time);
        var result = await run.RotateAsync();

        var report = result.Report;
        output.WriteLine(report.ToJson());
        Assert.Equal(RotationStatus.Completed, result.Rotation?.Status);
        Assert.True(report.Passed, report.ToJson());
        Assert.True(report.TotalHandshakes >= 100, $"only {report.TotalHandshakes} handshakes");
        Assert.Equal(2, report.Clusters);
        Assert.True(report.MandatoryWaitMs > 0 && report.MandatoryWaitMs <= report.WallMs, report.ToJson());

        var authorities = await store.ListAuthoritiesAsync(EstateFixture.Domain);
        var newIntermediate = authorities.Single(a => a.Id == result.Rotation!.Authorities.NewIntermediateId).Certificate;
        var expectedRoot = kind == RotationKind.Root
            ? authorities.Single(a => a.Id == result.Rotation!.Authorities.NewRootId).Certificate
            : authorities.Single(a => a.Role == Rotation.Core.Domain.CaRole.Root && a.Status == Rotation.Core.Domain.CaStatus.Active).Certificate;
        foreach (var (_, kube) in run.Fleet.Clusters)
        {
            // The adapter wrote cacerts over HTTP (update or patch), and istiod loaded the new intermediate from it.
            var cacertsWrites = kube.Server.Requests.Writes()
                .Where(w => w.Request.Resource == "secrets" && w.Request.Verb is "update" or "patch" && w.Request.Namespace == IstioNames.Namespace && w.Request.Name == IstioNames.CaSecret)
                .ToList();
            Assert.NotEmpty(cacertsWrites);
            Assert.Equal(newIntermediate, kube.Istio.LoadedCa?.Ca.Certificate);
            foreach (var workload in run.Estate.Clusters.Single(c => c.Kube == kube).Workloads)
            {
                var published = KubeObjects.ConfigMapText(kube.Store.Get(ResourceKinds.ConfigMaps, KubernetesBackedCluster.NamespaceOf(workload), IstioNames.RootConfigMap), IstioNames.RootCertKey)!;
                Assert.Equal(TrustBundle.FromPem(published).Fingerprints, workload.TrustStore.Bundle.Fingerprints);
                Assert.Equal([expectedRoot.Sha256], workload.TrustStore.Bundle.Fingerprints);
            }
        }

        Assert.All(run.Estate.Workloads, w => Assert.True(w.Credential!.Certificate.IsSignedBy(newIntermediate), $"{w.Location} still has a leaf from {w.Credential.Certificate.Issuer}"));
    }

    [Fact]
    public async Task Workloads_follow_a_cacerts_change_made_by_anyone_through_the_cluster()
    {
        using var home = new TempDirectory("rotation-drill-k8s-estate");
        var a = DrillAuthorities.Create(EstateFixture.Domain, "A");
        var b = DrillAuthorities.Create(EstateFixture.Domain, "B");
        await using var fleet = await SimulatedIstioFleet.StartAsync(1, home.Path, a.AloneIssuer(), TimeSpan.FromMilliseconds(50));
        await using var estate = await KubernetesBackedEstate.StartAsync(EstateFixture.Domain, fleet.Clusters, 2, EstateFixture.FastPhysics);
        Assert.All(estate.Workloads, w => Assert.Equal([a.Root.Certificate.Sha256], w.TrustStore.Bundle.Fingerprints));
        Assert.All(estate.Workloads, w => Assert.True(w.Credential!.Certificate.IsSignedBy(a.Intermediate.Certificate)));

        // Adding root B as the adapter would (A then B, a superset of the old text): istiod republishes, workloads pick it up.
        var kube = fleet.Clusters[0].Kube;
        Rotation.Infra.Kubernetes.Simulator.Seeding.MeshSeeding.PutIstioCaCerts(kube.Store, a.Intermediate, [a.Root.Certificate], [a.Root.Certificate, b.Root.Certificate]);
        var deadline = DateTimeOffset.UtcNow.AddSeconds(10);
        while (DateTimeOffset.UtcNow < deadline && !estate.Workloads.All(w => w.TrustStore.Bundle.Count == 2))
            await Task.Delay(50);

        Assert.All(estate.Workloads, w => Assert.Equal(
            new[] { a.Root.Certificate.Sha256, b.Root.Certificate.Sha256 }.Order(),
            w.TrustStore.Bundle.Fingerprints.Order()));
        Assert.Empty(kube.Server.Requests.Writes());
    }

    [Fact]
    public async Task Workloads_take_leaves_from_the_CA_istiod_loaded_not_from_what_cacerts_says()
    {
        using var home = new TempDirectory("rotation-drill-k8s-refused");
        var a = DrillAuthorities.Create(EstateFixture.Domain, "A");
        var b = DrillAuthorities.Create(EstateFixture.Domain, "B");
        var quickLeaves = new SimulatedClusterOptions { LeafTtl = TimeSpan.FromSeconds(1) };
        await using var fleet = await SimulatedIstioFleet.StartAsync(1, home.Path, a.AloneIssuer(), TimeSpan.FromMilliseconds(20));
        await using var estate = await KubernetesBackedEstate.StartAsync(EstateFixture.Domain, fleet.Clusters, 2, quickLeaves);
        var kube = fleet.Clusters[0].Kube;

        // Root B replacing root A outright: istiod refuses it ("Updating new ROOT-CA not supported") and keeps CA A.
        Rotation.Infra.Kubernetes.Simulator.Seeding.MeshSeeding.PutIstioCaCerts(kube.Store, b.Intermediate, [b.Root.Certificate], [b.Root.Certificate]);
        var before = estate.Workloads.ToDictionary(w => w.Location, w => w.Credential!);
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        Assert.NotNull(kube.Istio.CaLoadError);
        Assert.Equal(a.Intermediate.Certificate, kube.Istio.LoadedCa?.Ca.Certificate);
        Assert.All(estate.Workloads, w =>
        {
            Assert.NotSame(before[w.Location], w.Credential);
            Assert.True(w.Credential!.Certificate.IsSignedBy(a.Intermediate.Certificate), $"{w.Location} got a leaf from {w.Credential.Certificate.Issuer}");
            Assert.Equal([a.Root.Certificate.Sha256], w.TrustStore.Bundle.Fingerprints);
        });
    }

    [Fact]
    public async Task A_cluster_whose_istiod_publishes_nothing_stops_the_start_naming_how_far_it_got()
    {
        using var home = new TempDirectory("rotation-drill-k8s-stalled");
        var a = DrillAuthorities.Create(EstateFixture.Domain, "A");
        await using var fleet = await SimulatedIstioFleet.StartAsync(1, home.Path, a.AloneIssuer(), TimeSpan.FromMilliseconds(20));
        await fleet.Clusters[0].Kube.Istio.StopAsync();   // istiod is down: no root reaches a new namespace, no CA is loaded

        var stalled = await Assert.ThrowsAsync<TimeoutException>(() => KubernetesBackedEstate.StartAsync(
            EstateFixture.Domain, fleet.Clusters, 2, EstateFixture.FastPhysics, new KubernetesEstateOptions { StartTimeout = TimeSpan.FromMilliseconds(300) }));

        Assert.StartsWith("cluster 'cluster-01': istiod published a root into 0 of 2 namespace(s) and loaded no CA, with no progress for 0.3s", stalled.Message, StringComparison.Ordinal);
    }
}
