using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Drill.Drills;
using Rotation.Drill.Estate;
using Rotation.Drill.Kubernetes;
using Rotation.Infra.LocalVault;
using Rotation.Infra.Sqlite;
using Rotation.Testing;

namespace Rotation.Drill.Tests;

/// <summary>
/// Issue 11: simulated sidecars trust what istio-agent gives them (PCDS push, else the roots of their last certificate),
/// not the istio-ca-root-cert ConfigMap. Without PCDS the pre-issue-11 gate (ConfigMaps only, no PCDS preflight)
/// lets SwitchIssuer run while proxies still trust only the old root, and handshakes fail; the fixed target refuses at
/// preflight. With PCDS, root and intermediate rotations pass on istiod 1.22, 1.26 and 1.30 without restarting istiod.
/// </summary>
public sealed class IstioProxyTrustDrillTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static DrillRequest Request(RotationKind kind, TimeSpan? leafTtl = null) => new(EstateFixture.Domain, kind, new SimulatedEstateOptions
    {
        Clusters = 1,
        WorkloadsPerCluster = 3,
        Cluster = leafTtl is { } ttl
            ? new SimulatedClusterOptions { PropagationDelay = EstateFixture.FastPhysics.PropagationDelay, PropagationJitter = EstateFixture.FastPhysics.PropagationJitter, LeafTtl = ttl }
            : EstateFixture.FastPhysics,
    }, EstateFixture.Drill);

    private static (SqliteStateStore Store, LocalKeyCustody Vault) Stores(TempDirectory home) =>
        (new SqliteStateStore(new SqliteStoreOptions { DatabasePath = home.File("rotation.db") }),
         new LocalKeyCustody(new LocalKeyVaultOptions { KeyDirectory = home.File("keys"), Passphrase = "drill-test-passphrase" }));

    [Fact]
    public async Task Without_PCDS_the_ConfigMap_gate_switches_the_issuer_too_early_and_handshakes_fail()
    {
        using var home = new TempDirectory("rotation-drill-pcds-off-old");
        var (store, vault) = Stores(home);
        var mesh = new SimulatedIstioMesh { ProxyConfigXdsAgent = false, WrapTargets = inner => new ConfigMapOnlyGate(inner) };

        // Leaves live 20 s, so proxies refresh (and learn root B) 10-16 s after DistributeTrust; the gate releases in about a second.
        await using var run = await EngineDrill.StartKubernetesAsync(store, vault, Request(RotationKind.Root, TimeSpan.FromSeconds(20)), home.Path, TimeProvider.System, mesh);
        var result = await run.RotateAsync();

        output.WriteLine(result.Report.ToJson());
        Assert.True(result.Report.TotalFailures > 0, "the ConfigMap-only gate should have let a partition happen");
    }

    [Fact]
    public async Task Without_PCDS_the_fixed_target_refuses_the_root_rotation_at_preflight_and_changes_nothing()
    {
        using var home = new TempDirectory("rotation-drill-pcds-off-new");
        var (store, vault) = Stores(home);

        await using var run = await EngineDrill.StartKubernetesAsync(store, vault, Request(RotationKind.Root), home.Path, TimeProvider.System, new SimulatedIstioMesh { ProxyConfigXdsAgent = false });
        var refused = await Assert.ThrowsAsync<UnsafeStepException>(() => run.RotateAsync());

        Assert.Contains("PCDS", refused.Message, StringComparison.Ordinal);
        Assert.Contains("PROXY_CONFIG_XDS_AGENT", refused.Message, StringComparison.Ordinal);
        foreach (var (_, kube) in run.Fleet.Clusters)
            Assert.DoesNotContain(kube.Server.Requests.Writes(), w => w.Request.Resource == "secrets");
    }

    [Theory]
    [InlineData("1.22.0", RotationKind.Root)]
    [InlineData("1.26.2", RotationKind.Root)]
    [InlineData("1.30.0", RotationKind.Root)]
    [InlineData("1.22.0", RotationKind.Intermediate)]
    [InlineData("1.26.2", RotationKind.Intermediate)]
    [InlineData("1.30.0", RotationKind.Intermediate)]
    public async Task With_PCDS_a_rotation_passes_with_zero_failures_and_istiod_reloads_in_place(string version, RotationKind kind)
    {
        using var home = new TempDirectory("rotation-drill-pcds-on");
        var (store, vault) = Stores(home);

        await using var run = await EngineDrill.StartKubernetesAsync(store, vault, Request(kind), home.Path, TimeProvider.System, new SimulatedIstioMesh { IstiodVersion = version });
        var result = await run.RotateAsync();

        output.WriteLine(result.Report.ToJson());
        Assert.True(result.Report.Passed, result.Report.ToJson());
        Assert.Equal(RotationStatus.Completed, result.Rotation?.Status);
        foreach (var (_, kube) in run.Fleet.Clusters)
        {
            Assert.Equal(version, kube.Istio.Release.ToString());
            Assert.Equal(0, kube.Server.Requests.Count("patch", "deployments"));   // no istiod restart
            Assert.True(kube.Istio.InPlaceReloads >= (kind == RotationKind.Root ? 3 : 1), $"{kube.Istio.InPlaceReloads} in-place reloads");
        }
    }

    /// <summary>The gate as it was before issue 11: trust evidence from ConfigMaps only, and no PCDS preflight.</summary>
    private sealed class ConfigMapOnlyGate(ITargetResolver inner) : ITargetResolver
    {
        public async Task<IReadOnlyList<IRotationTarget>> ResolveAsync(string domain, CancellationToken cancellationToken = default) =>
            (await inner.ResolveAsync(domain, cancellationToken)).Select(t => (IRotationTarget)new Target(t)).ToList();

        private sealed class Target(IRotationTarget inner) : IRotationTarget
        {
            public string Name => inner.Name;

            public async Task<PreflightReport> PreflightAsync(RotationKind kind, CancellationToken cancellationToken = default)
            {
                var report = await inner.PreflightAsync(kind, cancellationToken);
                return report with { Checks = report.Checks.Where(c => c.Name != "PCDS").ToList() };
            }

            public Task ApplyTrustBundleAsync(TrustBundle bundle, RotationWriteContext context, CancellationToken cancellationToken = default) => inner.ApplyTrustBundleAsync(bundle, context, cancellationToken);

            public Task ApplyIssuerAsync(IssuerMaterial issuer, RotationWriteContext context, CancellationToken cancellationToken = default) => inner.ApplyIssuerAsync(issuer, context, cancellationToken);

            public async Task<TrustReport> ReportTrustAsync(CancellationToken cancellationToken = default)
            {
                var report = await inner.ReportTrustAsync(cancellationToken);
                return report with { Stores = report.Stores.Where(s => !s.Location.StartsWith("pod ", StringComparison.Ordinal)).ToList() };
            }

            public Task<LeafReport> ReportLeavesAsync(CancellationToken cancellationToken = default) => inner.ReportLeavesAsync(cancellationToken);

            public Task<TargetContent> ReadContentAsync(CancellationToken cancellationToken = default) => inner.ReadContentAsync(cancellationToken);
        }
    }
}
