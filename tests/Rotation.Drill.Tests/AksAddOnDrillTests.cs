using Azure.Security.KeyVault.Secrets;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
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
/// Issue 8 §6: the drill over clusters running the AKS Istio add-on. The engine writes each cluster's four Key Vault
/// secrets through the aks-istio target (Key Vault test server over HTTPS), the simulated CSI driver polls them into
/// the add-on's istiod, and the workloads take trust and leaves only from the clusters (the istio-ca-root-cert
/// ConfigMaps, istiod's PCDS push, the CA istiod loaded), while real mTLS handshakes run between every cluster.
/// </summary>
public sealed class AksAddOnDrillTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly string[] Secrets = ["root-cert", "cert-chain", "ca-key", "ca-cert"];

    private static DrillRequest Request(RotationKind kind) => new(EstateFixture.Domain, kind, new SimulatedEstateOptions
    {
        Clusters = 2,
        WorkloadsPerCluster = 2,
        Cluster = EstateFixture.FastPhysics,
    }, EstateFixture.Drill);

    [Theory]
    [InlineData(RotationKind.Root)]
    [InlineData(RotationKind.Intermediate)]
    public async Task A_rotation_of_add_on_clusters_through_key_vault_fails_no_handshake_and_keeps_every_old_version(RotationKind kind)
    {
        using var home = new TempDirectory("rotation-drill-aks");
        var store = new SqliteStateStore(new SqliteStoreOptions { DatabasePath = home.File("rotation.db") });
        var custody = new LocalKeyCustody(new LocalKeyVaultOptions { KeyDirectory = home.File("keys"), Passphrase = "drill-test-passphrase" });

        await using var run = await EngineDrill.StartKubernetesAsync(store, custody, Request(kind), home.Path, TimeProvider.System, new SimulatedIstioMesh { AksAddOn = new AksAddOnMesh() });
        var addOn = run.Fleet.AddOn!;
        var mounted = run.Fleet.Clusters.ToDictionary(c => c.Name, c => Secrets.ToDictionary(s => s, s => addOn.Vault.SecretVersions($"{c.Name}-{s}").Single()));
        var result = await run.RotateAsync();

        var report = result.Report;
        output.WriteLine(report.ToJson());
        Assert.Equal(RotationStatus.Completed, result.Rotation?.Status);
        Assert.True(report.Passed, report.ToJson());
        Assert.Equal(0, report.TotalFailures);
        Assert.True(report.TotalHandshakes >= 100, $"only {report.TotalHandshakes} handshakes");

        var authorities = await store.ListAuthoritiesAsync(EstateFixture.Domain);
        var oldRoot = authorities.Single(a => a.Role == CaRole.Root && a.Id != result.Rotation!.Authorities.NewRootId).Certificate;
        var newIntermediate = authorities.Single(a => a.Id == result.Rotation!.Authorities.NewIntermediateId).Certificate;
        var newRoot = kind == RotationKind.Root ? authorities.Single(a => a.Id == result.Rotation!.Authorities.NewRootId).Certificate : oldRoot;
        var client = new SecretClient(addOn.Vault.VaultUri, addOn.Credential, Options(addOn));
        foreach (var (cluster, kube) in run.Fleet.Clusters)
        {
            var versions = Secrets.ToDictionary(s => s, s => addOn.Vault.SecretVersions($"{cluster}-{s}"));

            // root-cert went through the add-on's documented procedure: old, old and new, new only (a root rotation).
            string[][] expectedRoots = kind == RotationKind.Root ? [[oldRoot.Sha256], [oldRoot.Sha256, newRoot.Sha256], [newRoot.Sha256]] : [[oldRoot.Sha256]];
            Assert.Equal(expectedRoots, versions["root-cert"].Select(v => Fingerprints(v.Value)).ToArray());
            Assert.Equal(newIntermediate, Certificate.FromPem(versions["ca-cert"][^1].Value));
            Assert.Equal([newIntermediate.Sha256, newRoot.Sha256], Pem.ReadCertificates(versions["cert-chain"][^1].Value).Select(c => c.Sha256));

            // Rotation's writes, in Key Vault's order of arrival: the chain before the key, the certificate last, each stamped with its phase.
            var puts = addOn.Vault.Exchanges.Where(e => e.Method == "PUT" && e.Status == 200 && e.Path.StartsWith($"/secrets/{cluster}-", StringComparison.Ordinal)).Skip(Secrets.Length)
                .Select(e => e.Path.Split('/')[2][(cluster.Length + 1)..]).ToList();
            string[] order = kind == RotationKind.Root ? ["root-cert", "cert-chain", "ca-key", "ca-cert", "root-cert"] : ["cert-chain", "ca-key", "ca-cert"];
            Assert.Equal(order, puts);
            Assert.All(versions.Values.SelectMany(v => v.Skip(1)), v => Assert.Equal(result.Rotation!.Id, v.Tags["rotation.dev/rotation-id"]));

            // Never deleted, never disabled: the versions the add-on mounted first still read back through the API.
            foreach (var secret in Secrets)
            {
                var first = mounted[cluster][secret];
                Assert.Equal(first.Version, versions[secret][0].Version);
                var old = (await client.GetSecretAsync($"{cluster}-{secret}", first.Version)).Value;
                Assert.Equal(first.Value, old.Value);
                Assert.True(old.Properties.Enabled);
            }

            // The cluster got it only from the CSI driver: the synced cacerts holds Key Vault's latest versions, istiod
            // signs from the new intermediate, and Rotation wrote no Secret in the cluster.
            var synced = kube.Store.Get(ResourceKinds.Secrets, addOn.Layout.Namespace, addOn.Layout.CaSecret);
            Assert.Equal(versions["root-cert"][^1].Value, KubeObjects.SecretText(synced, IstioNames.RootCertKey));
            Assert.Equal(versions["ca-cert"][^1].Value, KubeObjects.SecretText(synced, IstioNames.CaCertKey));
            Assert.Equal(newIntermediate, kube.Istio.LoadedCa?.Ca.Certificate);
            Assert.DoesNotContain(kube.Server.Requests.Writes(), w => w.Request.Resource == "secrets");
            foreach (var workload in run.Estate.Clusters.Single(c => c.Kube == kube).Workloads)
            {
                var published = KubeObjects.ConfigMapText(kube.Store.Get(ResourceKinds.ConfigMaps, KubernetesBackedCluster.NamespaceOf(workload), IstioNames.RootConfigMap), IstioNames.RootCertKey)!;
                Assert.Equal([newRoot.Sha256], Fingerprints(published));
                Assert.Equal([newRoot.Sha256], workload.TrustStore.Bundle.Fingerprints);
                Assert.True(workload.Credential!.Certificate.IsSignedBy(newIntermediate), $"{workload.Location} still has a leaf from {workload.Credential.Certificate.Issuer}");
            }
        }

        Assert.DoesNotContain(addOn.Vault.Exchanges, e => e.Method == "DELETE");
    }

    /// <summary>
    /// The negative on the add-on path: the same targets, vault, CSI drivers and clusters, but root-cert goes new-only
    /// on cluster-01 as soon as cluster-01 has switched issuer, while cluster-02 still signs from the old intermediate
    /// (the VerifyLeaves gate across the estate skipped). The drill's handshake counting must see it, in that phase only.
    /// </summary>
    [Fact]
    public async Task Writing_root_cert_new_only_before_every_cluster_switched_issuer_fails_handshakes_and_the_drill_counts_them()
    {
        using var home = new TempDirectory("rotation-drill-aks-early");
        var store = new SqliteStateStore(new SqliteStoreOptions { DatabasePath = home.File("rotation.db") });
        var custody = new LocalKeyCustody(new LocalKeyVaultOptions { KeyDirectory = home.File("keys"), Passphrase = "drill-test-passphrase" });
        await using var run = await EngineDrill.StartKubernetesAsync(store, custody, Request(RotationKind.Root), home.Path, TimeProvider.System, new SimulatedIstioMesh { AksAddOn = new AksAddOnMesh() });
        var a = (await store.ListAuthoritiesAsync(EstateFixture.Domain)).Single(x => x.Role == CaRole.Root).Certificate;
        var b = DrillAuthorities.Create(EstateFixture.Domain, "B");
        var both = TrustBundle.Of(a, b.Root.Certificate);
        var newOnly = TrustBundle.Of(b.Root.Certificate);
        var targets = (await run.Resolver.ResolveAsync(EstateFixture.Domain)).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        var (first, second) = (run.Estate.Clusters[0], run.Estate.Clusters[1]);
        Assert.Equal([$"{first.Name}/aks-istio", $"{second.Name}/aks-istio"], targets.Select(t => t.Name));
        var phases = new DrillPhaseTracker();
        static RotationWriteContext As(RotationPhase phase) => new("negative-early-retire", phase);

        var report = await new DrillRunner(run.Estate, EstateFixture.Drill).RunAsync(async ct =>
        {
            phases.Set(RotationPhase.DistributeTrust);
            foreach (var target in targets)
                await target.ApplyTrustBundleAsync(both, As(RotationPhase.DistributeTrust), ct);
            await UntilAsync(() => run.Estate.Workloads.All(w => w.TrustStore.Bundle.SetEquals(both)), "every workload trusts A and B", ct);

            phases.Set("SwitchIssuerFirstCluster");
            await targets[0].ApplyIssuerAsync(b.IssuerWith(both), As(RotationPhase.SwitchIssuer), ct);
            await UntilAsync(() => first.Workloads.All(w => w.Credential!.Certificate.IsSignedBy(b.Intermediate.Certificate)), $"{first.Name} issues from B", ct);
            await Task.Delay(TimeSpan.FromSeconds(1), ct);

            phases.Set("RetireOldRootEarly");
            await targets[0].ApplyTrustBundleAsync(newOnly, As(RotationPhase.RetireOldRoot), ct);
            await UntilAsync(() => first.Workloads.All(w => w.TrustStore.Bundle.SetEquals(newOnly)), $"{first.Name} trusts B only", ct);
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
        }, phases);

        output.WriteLine(report.ToJson());
        Assert.Null(report.Error);
        Assert.True(report.Valid, report.ToJson());
        var early = report.Phases.Single(p => p.Name == "RetireOldRootEarly");
        Assert.True(early.Failures > 0, report.ToJson());
        Assert.True(early.FailureReasons.GetValueOrDefault(nameof(Workloads.HandshakeFailureReason.UnknownAuthority)) > 0, report.ToJson());
        Assert.All(report.Phases.Where(p => p.Name is nameof(RotationPhase.DistributeTrust) or "SwitchIssuerFirstCluster" or DrillRunner.BeforePhase), p => Assert.Equal(0, p.Failures));

        // istiod on cluster-01 took root-cert B-only in place (B is a subset of A+B): nothing in the cluster refused it.
        Assert.Null(first.Kube.Istio.CaLoadError);
        Assert.True(second.Kube.Istio.LoadedCa?.Ca.Certificate.IsSignedBy(a), "cluster-02 should still sign from intermediate A");
    }

    /// <summary>
    /// What the handshakes cannot show: root-cert new-only written while istiod still signs from the old chain. The
    /// add-on's istiod refuses the new files (B is no subset of A, and A's chain does not verify against B) and keeps
    /// its CA and roots, so not one handshake fails while the cluster silently stays on A (a restart would have to
    /// load a chain that does not verify against root-cert.pem). Only the target's gates see it: B never shows loaded.
    /// </summary>
    [Fact]
    public async Task Root_cert_new_only_before_any_issuer_switch_is_refused_by_istiod_and_fails_no_handshake()
    {
        using var home = new TempDirectory("rotation-drill-aks-refused");
        var store = new SqliteStateStore(new SqliteStoreOptions { DatabasePath = home.File("rotation.db") });
        var custody = new LocalKeyCustody(new LocalKeyVaultOptions { KeyDirectory = home.File("keys"), Passphrase = "drill-test-passphrase" });
        await using var run = await EngineDrill.StartKubernetesAsync(store, custody, Request(RotationKind.Root), home.Path, TimeProvider.System, new SimulatedIstioMesh { AksAddOn = new AksAddOnMesh() });
        var a = (await store.ListAuthoritiesAsync(EstateFixture.Domain)).Single(x => x.Role == CaRole.Root).Certificate;
        var b = DrillAuthorities.Create(EstateFixture.Domain, "B");
        var target = (await run.Resolver.ResolveAsync(EstateFixture.Domain)).OrderBy(t => t.Name, StringComparer.Ordinal).First();
        var first = run.Estate.Clusters[0];
        var driver = run.Fleet.AddOn!.Drivers[first.Name];
        var phases = new DrillPhaseTracker();

        var report = await new DrillRunner(run.Estate, EstateFixture.Drill).RunAsync(async ct =>
        {
            phases.Set("RootCertNewOnlyFirst");
            var syncs = driver.Syncs;
            await target.ApplyTrustBundleAsync(TrustBundle.Of(b.Root.Certificate), new RotationWriteContext("negative-new-only-first", RotationPhase.DistributeTrust), ct);
            await UntilAsync(() => driver.Syncs > syncs && first.Kube.Istio.CaLoadError is not null, $"{first.Name}'s istiod sees root-cert B", ct);
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
        }, phases);

        output.WriteLine(report.ToJson());
        Assert.True(report.Passed, report.ToJson());
        Assert.Contains("Updating new ROOT-CA not supported", first.Kube.Istio.CaLoadError, StringComparison.Ordinal);
        Assert.True(first.Kube.Istio.LoadedCa?.Ca.Certificate.IsSignedBy(a), "istiod should keep intermediate A");
        Assert.Equal([a.Sha256], Fingerprints(first.Kube.Istio.HeldRootCertPem!));
        Assert.All(run.Estate.Workloads, w => Assert.Equal([a.Sha256], w.TrustStore.Bundle.Fingerprints));

        // The aks-istio target's trust report: the synced cacerts holds B, but no istio-ca-root-cert ConfigMap does, and
        // the add-on namespace's one shows as an empty store (istiod has not loaded it), so the trust gate would hold.
        var trust = await target.ReportTrustAsync();
        var configMaps = trust.Stores.Where(s => s.Location.StartsWith("configmap ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(configMaps);
        Assert.DoesNotContain(configMaps, s => s.Sha256Fingerprints.Contains(b.Root.Certificate.Sha256));
        Assert.Contains(configMaps, s => s.Sha256Fingerprints.Count == 0 && s.Location.Contains("istiod has not loaded it yet", StringComparison.Ordinal));
    }

    private static async Task UntilAsync(Func<bool> condition, string what, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTimeOffset.UtcNow > deadline)
                throw new TimeoutException($"not within 30s: {what}");
            await Task.Delay(50, cancellationToken);
        }
    }

    private static string[] Fingerprints(string pem) => Pem.ReadCertificates(pem).Select(c => c.Sha256).Distinct().ToArray();

    private static SecretClientOptions Options(SimulatedAksAddOn addOn)
    {
        var options = new SecretClientOptions();
        addOn.Configure(options);
        return options;
    }
}
