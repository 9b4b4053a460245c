using System.Text.Json.Nodes;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Drill.Drills;
using Rotation.Drill.Estate;
using Rotation.Drill.Kubernetes.Targets;
using Rotation.Drill.Workloads;
using Rotation.Infra.Kubernetes.Simulator;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Infra.LocalVault;
using Rotation.Infra.Sqlite;
using Rotation.Testing;

namespace Rotation.Drill.Tests;

/// <summary>
/// Issue 12: a root and then an intermediate rotation through the real engine (SQLite store, local vault, Kubernetes
/// adapter) against the simulated Linkerd, cert-manager and trust-manager, while workloads handshake (real TLS 1.3
/// mTLS, <see cref="SimulatedWorkload"/>) with exactly what the simulated cluster hands them at each moment
/// (<see cref="TargetWorkloadEstate"/>): zero failed handshakes in every phase, and exactly the restarts upstream
/// requires. Each target has a negative control that does fail handshakes, so the drill can see an outage.
/// </summary>
public sealed class TargetHandshakeDrillTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string Domain = EstateFixture.Domain;
    private static readonly string[] Names = ["api", "web", "db"];
    private static readonly SimulatedClusterOptions Physics = EstateFixture.FastPhysics;
    private static readonly TimeSpan Sync = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan KubePropagation = TimeSpan.FromMilliseconds(150);

    private static DrillRequest Request(RotationKind kind) =>
        new(Domain, kind, new SimulatedEstateOptions { Clusters = 1, WorkloadsPerCluster = Names.Length, Cluster = Physics }, EstateFixture.Drill);

    private static (SqliteStateStore Store, LocalKeyCustody Vault) Stores(TempDirectory home) =>
        (new SqliteStateStore(new SqliteStoreOptions { DatabasePath = home.File("rotation.db") }),
         new LocalKeyCustody(new LocalKeyVaultOptions { KeyDirectory = home.File("keys"), Passphrase = "drill-test-passphrase" }));

    // ---------------------------------------------------------------- Linkerd

    /// <summary>
    /// Linkerd as the chart installs it (linkerd/linkerd2 b24cd405): trust roots ConfigMap, issuer Secret, the control
    /// plane with valueFrom anchors and -identity-issuance-lifetime equal to the drill's leaf TTL, and meshed
    /// Deployments in payments whose proxies the injector gives the anchors at pod creation.
    /// </summary>
    private static void SeedLinkerd(KubeObjectStore store, IssuerMaterial initial)
    {
        store.SeedLinkerd(initial.Bundle, initial.Issuer);
        store.SeedLinkerdControlPlane(issuanceLifetime: $"{(int)Physics.LeafTtl.TotalSeconds}s");
        foreach (var name in Names)
            store.PutWorkload("payments", name, linkerdMeshed: true);
    }

    private static Task<TargetWorkloadEstate> LinkerdWorkloadsAsync(SimulatedTargetCluster cluster) =>
        TargetWorkloadEstate.StartAsync(Domain, SimulatedTargetCluster.Name, Names,
            w => new LinkerdProxyFeed(cluster.Kube, "payments", w.Name, Physics, TimeProvider.System), Sync, TimeSpan.FromSeconds(20));

    private static int RestartPatches(SimulatedKubeCluster kube, string ns) =>
        kube.Server.Requests.Count(r => r.Request.Verb == "patch" && r.Request.Resource is "deployments" or "statefulsets" or "daemonsets" && r.Request.Namespace == ns && r.StatusCode < 300);

    /// <summary>
    /// The upstream rule for restarts (linkerd/website 3650470f linkerd.io/content/2/tasks/rotating_identity_trust_root.md):
    /// proxies read their anchors at start, so every injected workload (and the control plane) is re-injected once
    /// after the new root is bundled in and once after the old root is removed; the issuer update needs none, identity
    /// picks it up (IssuerUpdated). So: 2 restarts per meshed workload for a root rotation, 0 for an intermediate one.
    /// </summary>
    [Fact]
    public async Task Linkerd_root_then_intermediate_rotation_has_zero_failed_handshakes_and_only_the_restarts_upstream_needs()
    {
        using var home = new TempDirectory("rotation-drill-linkerd");
        var (store, vault) = Stores(home);
        await using var cluster = await SimulatedTargetCluster.StartAsync(store, vault, Domain, home.File("kube"), KubePropagation, SeedLinkerd,
            ["linkerd:restartNamespaces=payments"], TimeProvider.System);
        await using var estate = await LinkerdWorkloadsAsync(cluster);

        var root = await cluster.RotateAsync(store, vault, estate, Request(RotationKind.Root), TimeProvider.System);
        output.WriteLine(root.Report.ToJson());
        AssertPassed(root);
        Assert.Equal(Names.Length * 2, RestartPatches(cluster.Kube, "payments"));
        Assert.All(estate.Workloads, w => Assert.Equal(2, estate.RestartsOf(w)));
        Assert.Equal(3 * 2, RestartPatches(cluster.Kube, "linkerd"));   // identity, destination, proxy-injector: twice each
        var rootB = estate.Workloads[0].TrustStore.Bundle;
        Assert.Single(rootB.Fingerprints);
        Assert.DoesNotContain(cluster.Initial.Bundle.Fingerprints[0], rootB.Fingerprints);

        var intermediate = await cluster.RotateAsync(store, vault, estate, Request(RotationKind.Intermediate), TimeProvider.System);
        output.WriteLine(intermediate.Report.ToJson());
        AssertPassed(intermediate);
        Assert.Equal(Names.Length * 2, RestartPatches(cluster.Kube, "payments"));   // none more
        Assert.Equal(3 * 2, RestartPatches(cluster.Kube, "linkerd"));
        Assert.All(estate.Workloads, w => Assert.Equal(2, estate.RestartsOf(w)));
        // Every proxy now presents a leaf from the intermediate identity loaded after the second rotation.
        var loaded = cluster.Kube.Linkerd.LoadedIssuer!.Ca.Certificate;
        Assert.All(estate.Workloads, w => Assert.True(w.Credential!.Certificate.IsSignedBy(loaded), $"{w.Location} presents a leaf from {w.Credential.Certificate.Issuer}"));
    }

    /// <summary>Negative control: the new anchor and issuer at once (`linkerd upgrade` with both, then restarts), through the real target: handshakes fail.</summary>
    [Fact]
    public async Task Linkerd_naive_swap_of_anchor_and_issuer_fails_handshakes()
    {
        using var home = new TempDirectory("rotation-drill-linkerd-naive");
        var (store, vault) = Stores(home);
        await using var cluster = await SimulatedTargetCluster.StartAsync(store, vault, Domain, home.File("kube"), KubePropagation, SeedLinkerd,
            ["linkerd:restartNamespaces=payments"], TimeProvider.System);
        await using var estate = await LinkerdWorkloadsAsync(cluster);

        var report = await NaiveSwapAsync(cluster, estate);

        output.WriteLine(report.ToJson());
        Assert.True(report.TotalFailures > 0, "a naive swap must break handshakes");
    }

    // ------------------------------------------------------ cert-manager + trust-manager

    /// <summary>
    /// A CA ClusterIssuer (cert-manager 2d0d7f7) whose secret holds intermediate A, one Certificate per workload
    /// (its SPIFFE id and DNS name, one hour), and a trust-manager Bundle (fc1b53d) from the source cert-manager/mesh-roots
    /// into every namespace: how cert-manager's docs set up a CA whose root can be rotated.
    /// </summary>
    private static void SeedCertManager(KubeObjectStore store, IssuerMaterial initial)
    {
        var above = initial.ChainToRoot.Where(c => !c.Equals(initial.Issuer.Certificate)).ToList();
        store.PutCaSecret("cert-manager", "mesh-ca", initial.Issuer, above, initial.Bundle);
        store.PutCaIssuer(null, "mesh-ca", "mesh-ca");
        store.PutConfigMap("cert-manager", "mesh-roots", new Dictionary<string, string> { ["ca.crt"] = initial.Bundle.ToPem() });
        store.PutBundle("mesh-bundle", [("mesh-roots", "ca.crt")], "roots.pem");
        foreach (var name in Names)
        {
            var dns = SpiffeId.DnsNameFor(SimulatedTargetCluster.Name, name);
            store.PutCertificate("payments", $"{name}-cert", $"{name}-tls", "mesh-ca", "ClusterIssuer", [dns], duration: "1h");
            store.Modify(ResourceKinds.Certificates, "payments", $"{name}-cert", c =>
            {
                c["spec"]!["uris"] = new JsonArray(SpiffeId.For(Domain, SimulatedTargetCluster.Name, name));
                return c;
            }, WriteScope.All);
        }
    }

    private static readonly string[] CertManagerTargets =
        ["cert-manager:issuerName=mesh-ca,certificateCaTrust=ignore", "trust-manager:bundle=mesh-bundle,sourceName=mesh-roots"];

    private static Task<TargetWorkloadEstate> CertManagerWorkloadsAsync(SimulatedTargetCluster cluster) =>
        TargetWorkloadEstate.StartAsync(Domain, SimulatedTargetCluster.Name, Names,
            w => new CertManagerSecretFeed(cluster.Kube, "payments", $"{w.Name}-tls", "mesh-bundle", "roots.pem"), Sync, TimeSpan.FromSeconds(20));

    /// <summary>
    /// cert-manager re-issues into Secrets and trust-manager rewrites ConfigMaps; neither restarts anything, and the
    /// kubelet refreshes mounted Secrets and ConfigMaps in running pods: upstream needs no restart, so Rotation must make none.
    /// </summary>
    [Fact]
    public async Task CertManager_and_TrustManager_root_then_intermediate_rotation_has_zero_failed_handshakes_and_no_restarts()
    {
        using var home = new TempDirectory("rotation-drill-cert-manager");
        var (store, vault) = Stores(home);
        await using var cluster = await SimulatedTargetCluster.StartAsync(store, vault, Domain, home.File("kube"), KubePropagation, SeedCertManager, CertManagerTargets, TimeProvider.System);
        await using var estate = await CertManagerWorkloadsAsync(cluster);
        var first = estate.Workloads.Select(w => w.Credential!.Certificate).ToList();

        var root = await cluster.RotateAsync(store, vault, estate, Request(RotationKind.Root), TimeProvider.System);
        output.WriteLine(root.Report.ToJson());
        AssertPassed(root);
        var rootB = estate.Workloads[0].TrustStore.Bundle;
        Assert.Single(rootB.Fingerprints);
        Assert.DoesNotContain(cluster.Initial.Bundle.Fingerprints[0], rootB.Fingerprints);
        Assert.All(estate.Workloads.Zip(first), p => Assert.NotEqual(p.Second, p.First.Credential!.Certificate));   // re-issued by cert-manager

        var intermediate = await cluster.RotateAsync(store, vault, estate, Request(RotationKind.Intermediate), TimeProvider.System);
        output.WriteLine(intermediate.Report.ToJson());
        AssertPassed(intermediate);
        Assert.All(estate.Workloads, w => Assert.True(w.TrustStore.Bundle.SetEquals(rootB)));
        var issuer = Pem.ReadCertificates(KubeObjects.SecretText(cluster.Kube.Store.Get(ResourceKinds.Secrets, "cert-manager", "mesh-ca"), "tls.crt")!)[0];
        Assert.All(estate.Workloads, w => Assert.True(w.Credential!.Certificate.IsSignedBy(issuer), $"{w.Location} presents a leaf from {w.Credential.Certificate.Issuer}"));

        Assert.Equal(0, cluster.Kube.Server.Requests.Count(r => r.Request.Verb == "patch" && r.Request.Resource is "deployments" or "statefulsets" or "daemonsets"));
        Assert.All(estate.Workloads, w => Assert.Equal(0, estate.RestartsOf(w)));
    }

    /// <summary>Negative control for cert-manager: issuer B and a bundle of only root B at once, through the real targets: handshakes fail.</summary>
    [Fact]
    public async Task CertManager_naive_swap_of_issuer_and_bundle_fails_handshakes()
    {
        using var home = new TempDirectory("rotation-drill-cert-manager-naive");
        var (store, vault) = Stores(home);
        await using var cluster = await SimulatedTargetCluster.StartAsync(store, vault, Domain, home.File("kube"), KubePropagation, SeedCertManager, CertManagerTargets, TimeProvider.System);
        await using var estate = await CertManagerWorkloadsAsync(cluster);

        var report = await NaiveSwapAsync(cluster, estate);

        output.WriteLine(report.ToJson());
        Assert.True(report.TotalFailures > 0, "a naive swap must break handshakes");
    }

    /// <summary>
    /// Negative control for trust-manager: trust-manager cannot write the payments target (its first failed write
    /// stops the pass, pkg/bundle/bundle.go), and the gate reads only the source, as a gate that believed the source
    /// (or Synced=True, which a source edit does not change) would. SwitchIssuer then runs while payments trusts only
    /// root A: handshakes fail. The real target's report shows the payments ConfigMap without root B, which holds the gate.
    /// </summary>
    [Fact]
    public async Task TrustManager_gate_on_the_source_alone_switches_too_early_and_handshakes_fail_where_the_target_gate_holds()
    {
        using var home = new TempDirectory("rotation-drill-trust-manager-source-only");
        var (store, vault) = Stores(home);
        var blocked = 0;
        await using var cluster = await SimulatedTargetCluster.StartAsync(store, vault, Domain, home.File("kube"), KubePropagation, SeedCertManager, CertManagerTargets, TimeProvider.System,
            kube => kube.TrustManager.BeforeTargetWrite = (ns, _) =>
            {
                if (ns == "payments" && Volatile.Read(ref blocked) == 1)
                    throw new InvalidOperationException("simulated: the payments target cannot be written");
            });
        await using var estate = await CertManagerWorkloadsAsync(cluster);
        Volatile.Write(ref blocked, 1);

        TrustReport? real = null;
        var result = await cluster.RotateAsync(store, vault, estate, Request(RotationKind.Root) with { Drill = EstateFixture.Drill }, TimeProvider.System,
            inner => new SourceOnlyTrustManagerGate(inner, report => real ??= report));

        output.WriteLine(result.Report.ToJson());
        Assert.True(result.Report.TotalFailures > 0, "switching before the targets hold root B must break handshakes");
        Assert.NotNull(real);
        var payments = real.Stores.Single(s => s.Location.StartsWith("configmap payments/mesh-bundle", StringComparison.Ordinal));
        Assert.Single(payments.Sha256Fingerprints);   // root A only: the real gate would have held
    }

    // ---------------------------------------------------------------- shared

    private static void AssertPassed(DrillResult result)
    {
        Assert.True(result.Rotation?.Status == RotationStatus.Completed, $"rotation ended {result.Rotation?.Status}: {result.Rotation?.FailureReason} {result.Rotation?.Gate?.Reason}");
        Assert.True(result.Report.Passed, result.Report.ToJson());
        Assert.True(result.Report.TotalHandshakes > 0);
        Assert.Contains(result.Report.Phases, p => p.Name == nameof(RotationPhase.SwitchIssuer) && p.Handshakes > 0);
    }

    /// <summary>
    /// What an operator without Rotation's order might do: write a bundle of only root B, then issuer B, to every
    /// target, through the same target adapters, and let traffic run a few leaf lifetimes. Between the two writes the
    /// mismatch is held until every workload trusts only B while its peers still present leaves from A, and then for
    /// <see cref="MismatchHold"/>: written back to back, cert-manager's re-issue and trust-manager's sync can land in the
    /// same 50 ms file sync of each workload, and a busy machine then schedules no handshake inside the window at all
    /// (a CI run saw 753 handshakes and not one failure). The control proves the drill sees an outage, so the outage
    /// must be there while traffic flows.
    /// </summary>
    private static async Task<DrillReport> NaiveSwapAsync(SimulatedTargetCluster cluster, TargetWorkloadEstate estate)
    {
        var b = DrillAuthorities.Create(Domain, "B").AloneIssuer();
        var targets = await cluster.Resolver.ResolveAsync(Domain);
        var phases = new DrillPhaseTracker();
        return await new DrillRunner(estate, EstateFixture.Drill).RunAsync(async ct =>
        {
            phases.Set("NaiveSwap");
            var context = new RotationWriteContext("naive", RotationPhase.SwitchIssuer);
            foreach (var target in targets)
                await target.ApplyTrustBundleAsync(b.Bundle, context, ct);
            await ClusterFixture.EventuallyAsync(() => Task.FromResult(estate.Workloads.All(w => w.TrustStore.Bundle.SetEquals(b.Bundle))), "every workload trusts only root B");
            Assert.All(estate.Workloads, w => Assert.False(w.Credential!.Certificate.IsSignedBy(b.Issuer.Certificate), $"{w.Location} already presents a leaf from B"));
            await Task.Delay(MismatchHold, ct);

            foreach (var target in targets)
                await target.ApplyIssuerAsync(b, context, ct);
            await Task.Delay(Physics.LeafTtl * 2, ct);
        }, phases);
    }

    /// <summary>How long a naive swap holds "trust only B, leaves from A": twenty workload syncs, a hundred handshakes on an idle machine.</summary>
    private static readonly TimeSpan MismatchHold = TimeSpan.FromSeconds(1);

    /// <summary>The trust-manager target's trust report cut to its source store (what a source- or Synced-based gate sees).</summary>
    private sealed class SourceOnlyTrustManagerGate(ITargetResolver inner, Action<TrustReport> seen) : ITargetResolver
    {
        public async Task<IReadOnlyList<IRotationTarget>> ResolveAsync(string domain, CancellationToken cancellationToken = default) =>
            (await inner.ResolveAsync(domain, cancellationToken)).Select(t => t.Name.Contains("trust-manager", StringComparison.Ordinal) ? new Target(t, seen) : t).ToList();

        private sealed class Target(IRotationTarget inner, Action<TrustReport> seen) : IRotationTarget
        {
            public string Name => inner.Name;

            public Task<PreflightReport> PreflightAsync(RotationKind kind, CancellationToken cancellationToken = default) => inner.PreflightAsync(kind, cancellationToken);

            public Task ApplyTrustBundleAsync(TrustBundle bundle, RotationWriteContext context, CancellationToken cancellationToken = default) => inner.ApplyTrustBundleAsync(bundle, context, cancellationToken);

            public Task ApplyIssuerAsync(IssuerMaterial issuer, RotationWriteContext context, CancellationToken cancellationToken = default) => inner.ApplyIssuerAsync(issuer, context, cancellationToken);

            public async Task<TrustReport> ReportTrustAsync(CancellationToken cancellationToken = default)
            {
                var report = await inner.ReportTrustAsync(cancellationToken);
                if (report.Stores.Any(s => s.Sha256Fingerprints.Count > 1))
                    seen(report);   // the first report after DistributeTrust wrote A+B to the source
                return report with { Stores = report.Stores.Where(s => s.Location.Contains("(source", StringComparison.Ordinal)).ToList() };
            }

            public Task<LeafReport> ReportLeavesAsync(CancellationToken cancellationToken = default) => inner.ReportLeavesAsync(cancellationToken);

            public Task<TargetContent> ReadContentAsync(CancellationToken cancellationToken = default) => inner.ReadContentAsync(cancellationToken);
        }
    }
}
