using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Rotation.Drill.Drills;
using Rotation.Infra.LocalVault;
using Rotation.Infra.Sqlite;
using Rotation.Testing;

namespace Rotation.Drill.Tests;

/// <summary>The real engine (service, step runner, driver) over a real SQLite store and local vault, rotating the simulated estate.</summary>
public sealed class EngineDrillTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Theory]
    [InlineData(RotationKind.Root)]
    [InlineData(RotationKind.Intermediate)]
    public async Task A_rotation_by_the_engine_over_the_simulated_estate_fails_no_handshake(RotationKind kind)
    {
        using var home = new TempDirectory("rotation-drill-engine");
        var time = TimeProvider.System;
        var store = new SqliteStateStore(new SqliteStoreOptions { DatabasePath = home.File("rotation.db") });
        // Seeded through the vault files as a home made before custody; the engine reads them through the custody.
        var keys = new LocalKeyVaultOptions { KeyDirectory = home.File("keys"), Passphrase = "drill-test-passphrase" };
        var vault = new LocalKeyVault(keys);
        var initial = DrillAuthorities.Create(EstateFixture.Domain, "A");
        await SeedDomainAsync(store, vault, initial);
        await using var estate = Rotation.Drill.Estate.SimulatedEstate.Start(EstateFixture.Domain, initial.AloneIssuer(), new Rotation.Drill.Estate.SimulatedEstateOptions
        {
            Clusters = 2,
            WorkloadsPerCluster = 2,
            Cluster = EstateFixture.FastPhysics,
        });
        var policy = new RotationPolicy
        {
            MaxLeafTtl = EstateFixture.FastPhysics.MaxLeafLifetime,
            LeafGrace = TimeSpan.FromSeconds(1),
            GateRetryInitial = TimeSpan.FromMilliseconds(100),
            GateRetryMax = TimeSpan.FromMilliseconds(400),
        };
        var custody = new LocalKeyCustody(keys);
        var service = new RotationService(store, custody, estate, time);
        var runner = new RotationStepRunner(store, custody, estate, time);
        var phases = new DrillPhaseTracker();
        var context = new InProcessWorkflowContext(runner, time, async (id, phase, ct) =>
        {
            await service.ApproveAsync(id, phase, "drill-test", ct);
            return true;
        })
        {
            OnRecord = phases.Observe,
        };

        var started = await service.StartAsync(EstateFixture.Domain, kind, policy, "drill-test");
        RotationRecord? finished = null;
        var report = await new DrillRunner(estate, EstateFixture.Drill)
            .RunAsync(async _ => finished = await RotationDriver.RunAsync(context, started.Id), phases);

        output.WriteLine(report.ToJson());
        Assert.Equal(RotationStatus.Completed, finished?.Status);
        Assert.True(report.Passed, report.ToJson());
        Assert.True(report.TotalHandshakes >= 100, $"only {report.TotalHandshakes} handshakes");
        Assert.Equal(
            RotationPlans.For(kind).Select(p => p.ToString()),
            report.Phases.Select(p => p.Name).Where(n => Enum.TryParse<RotationPhase>(n, out _)));
        var authorities = await store.ListAuthoritiesAsync(EstateFixture.Domain);
        var newIntermediate = authorities.Single(a => a.Id == finished!.Authorities.NewIntermediateId);
        Assert.All(estate.Workloads, w => Assert.True(w.Credential!.Certificate.IsSignedBy(newIntermediate.Certificate)));
        var expectedRoot = kind == RotationKind.Root
            ? authorities.Single(a => a.Id == finished!.Authorities.NewRootId).Sha256
            : initial.Root.Certificate.Sha256;
        Assert.All(estate.Workloads, w => Assert.Equal([expectedRoot], w.TrustStore.Bundle.Fingerprints));
        Assert.True(report.MandatoryWaitMs > 0 && report.MandatoryWaitMs <= report.WallMs, report.ToJson());
    }

    private static async Task SeedDomainAsync(IStateStore store, LocalKeyVault vault, DrillAuthorities initial)
    {
        var now = TimeProvider.System.GetUtcNow();
        var rootKey = await vault.StoreAsync("root-a", initial.Root.Key);
        var intermediateKey = await vault.StoreAsync("int-a", initial.Intermediate.Key);
        await store.CommitAsync(new ChangeSet
        {
            Domain = new TrustDomain(EstateFixture.Domain, now, KeyAlgorithm.EcdsaP256),
            Authorities =
            [
                new CertificateAuthority("root-a", EstateFixture.Domain, CaRole.Root, CaStatus.Active, null, initial.Root.Certificate, rootKey),
                new CertificateAuthority("int-a", EstateFixture.Domain, CaRole.Intermediate, CaStatus.Active, "root-a", initial.Intermediate.Certificate, intermediateKey),
            ],
        });
    }
}
