using Microsoft.Extensions.Time.Testing;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Infra.Kubernetes.Targets;
using Rotation.Infra.Kubernetes.Tests.Support;
using Rotation.Infra.LocalVault;
using Rotation.Infra.Sqlite;
using Rotation.Testing;

namespace Rotation.Infra.Kubernetes.Tests;

/// <summary>
/// The aks-istio target through the real engine (service, step runner, driver, SQLite store, local vault) and
/// <see cref="KubernetesTargetResolver"/>, against <see cref="AksAddOnCluster"/>: the Key Vault test server with the
/// add-on's four secrets, the cluster reached over ARM with an Entra token, and the add-on's istiod loading its CA
/// from the simulated CSI driver. The CSI driver polls only when a gate waits, so each gate's first check runs with a
/// Key Vault write the cluster has not seen.
/// </summary>
public sealed class AksIstioAddOnRotationTests : IAsyncLifetime
{
    private const string Domain = TestPki.TrustDomain;
    private static readonly RotationPhase[] Gates = [RotationPhase.VerifyTrust, RotationPhase.VerifyLeaves, RotationPhase.VerifyRetired];
    private readonly TempDirectory _directory = new("rotation-aks-istio");
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private AksAddOnCluster _aks = null!;
    private SqliteStateStore _store = null!;
    private LocalKeyCustody _custody = null!;
    private KubernetesTargetResolver _resolver = null!;
    private TestHierarchy _a = null!;

    private static readonly RotationPolicy Policy = new()
    {
        MaxLeafTtl = TimeSpan.FromHours(1),
        LeafGrace = TimeSpan.FromMinutes(5),
        GateRetryInitial = TimeSpan.FromSeconds(5),
        GateRetryMax = TimeSpan.FromSeconds(30),
    };

    public async Task InitializeAsync()
    {
        _a = TestPki.Hierarchy(_time.GetUtcNow());
        _aks = await AksAddOnCluster.StartAsync(_a, new EngineClock(_time));
        _store = new SqliteStateStore(new SqliteStoreOptions { DatabasePath = _directory.File("rotation.db") });
        var keys = new LocalKeyVaultOptions { KeyDirectory = _directory.File("keys"), Passphrase = "aks-istio-test-passphrase" };
        _custody = new LocalKeyCustody(keys);
        var vault = new LocalKeyVault(keys);
        await _store.CommitAsync(new ChangeSet
        {
            Domain = new TrustDomain(Domain, _time.GetUtcNow(), KeyAlgorithm.EcdsaP256),
            Authorities =
            [
                new CertificateAuthority("root-a", Domain, CaRole.Root, CaStatus.Active, null, _a.Root.Certificate, await vault.StoreAsync("root-a", _a.Root.Key)),
                new CertificateAuthority("int-a", Domain, CaRole.Intermediate, CaStatus.Active, "root-a", _a.Intermediate.Certificate, await vault.StoreAsync("int-a", _a.Intermediate.Key)),
            ],
        });
        var registration = _aks.Registration(Domain);
        await new ClusterRegistry(_store, new ClusterCheck(_aks.Factory), _time).AddAsync(new ClusterAddRequest(
            registration.Name, Domain, ClusterConnectionKind.Aks, null, null, registration.AksResourceId, registration.Targets));
        _resolver = new KubernetesTargetResolver(_store, _aks.Factory);
    }

    public async Task DisposeAsync()
    {
        _resolver.Dispose();
        await _aks.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task A_root_rotation_writes_the_documented_key_vault_sequence_and_each_gate_waits_for_the_csi_poll_and_istiod()
    {
        var service = new RotationService(_store, _custody, _resolver, _time);
        var started = await service.StartAsync(Domain, RotationKind.Root, Policy, "e2e");
        var context = new PollingContext(new RotationStepRunner(_store, _custody, _resolver, _time), service, _time, _aks);

        var record = await RotationDriver.RunAsync(context, started.Id);

        Assert.True(record.Status == RotationStatus.Completed, $"ended {record.Status}: {record.FailureReason} {record.Gate?.Reason}");
        var authorities = await _store.ListAuthoritiesAsync(Domain);
        var rootB = authorities.Single(a => a.Role == CaRole.Root && a.Status == CaStatus.Active).Certificate;
        var intB = authorities.Single(a => a.Role == CaRole.Intermediate && a.Status == CaStatus.Active).Certificate;
        Assert.NotEqual(_a.Root.Certificate, rootB);

        // The add-on's procedure, in Key Vault: root A, then A and B together, then B only.
        string[][] documented = [[_a.Root.Certificate.Sha256], [_a.Root.Certificate.Sha256, rootB.Sha256], [rootB.Sha256]];
        Assert.Equal(documented, _aks.RootCertHistory().Select(h => h.ToArray()).ToArray());
        Assert.Equal(intB, Certificate.FromPem((await _aks.ReadAsync("ca-cert"))!));

        // Every gate held at its first check, naming the Key Vault secret the cluster had not loaded, and released
        // only once the CSI driver had synced it and istiod held it.
        foreach (var gate in Gates)
        {
            var checks = context.Checks.Where(c => c.Phase == gate).ToList();
            Assert.True(checks.Count >= 2, $"{gate} was checked {checks.Count} time(s)");
            Assert.False(checks[0].Passed, $"{gate} passed before the CSI driver polled");
            Assert.Contains("CSI driver", checks[0].Reason, StringComparison.Ordinal);
            Assert.All(checks.Where(c => !c.Synced), c => Assert.False(c.Passed, $"{gate} passed with Key Vault not synced"));
            var pass = Assert.Single(checks, c => c.Passed);
            Assert.True(pass.Synced && pass.IstiodHoldsVaultRoots, $"{gate} passed with synced={pass.Synced}, istiod holds Key Vault's root-cert={pass.IstiodHoldsVaultRoots}");
        }

        // The cluster ends on B only: istiod signs from the new intermediate and every trust store holds only root B.
        Assert.True(intB.Equals(_aks.Istiod.LoadedCa?.Ca.Certificate), $"istiod signs with {_aks.Istiod.LoadedCa?.Ca.Certificate}: {_aks.Istiod.LastDecision}");
        var only = new[] { rootB.Sha256 };
        Assert.Equal(only, Roots(KubeObjects.ConfigMapText(_aks.Store.Get(ResourceKinds.ConfigMaps, "payments", "istio-ca-root-cert"), "root-cert.pem")));
        Assert.Equal(only, Roots(KubeObjects.SecretText(_aks.Store.Get(ResourceKinds.Secrets, "aks-istio-system", "cacerts"), "root-cert.pem")));
        Assert.All(_aks.Istiod.ProxyRootCas.Values, roots => Assert.Equal(only, Roots(roots)));

        // One credential: the AKS API server's and Key Vault's tokens came from it; nothing was written in the cluster's CA secret by Rotation.
        Assert.Contains("6dae42f8-4368-4678-94ff-3960e28e3630/.default", _aks.Credential.Scopes);
        Assert.Contains("https://vault.azure.net/.default", _aks.Credential.Scopes);
        Assert.DoesNotContain(_aks.Cluster.Writes(), w => w.Request.Resource == "secrets");
    }

    /// <summary>Someone else writes a secret after the rotation started: the drift gate before the next write refuses (exit 3) and Key Vault gets no new version.</summary>
    [Theory]
    [InlineData("root-cert")]
    [InlineData("ca-cert")]
    public async Task A_secret_holding_material_the_domain_does_not_know_refuses_the_next_write_and_writes_nothing(string secret)
    {
        var service = new RotationService(_store, _custody, _resolver, _time);
        var runner = new RotationStepRunner(_store, _custody, _resolver, _time);
        var started = await service.StartAsync(Domain, RotationKind.Root, Policy, "e2e");
        var prepared = await runner.RunAsync(started.Id, RotationPhase.Prepare);
        Assert.Equal(RotationPhase.DistributeTrust, prepared.CurrentPhase);
        var foreign = TestPki.Hierarchy(_time.GetUtcNow(), name: "Foreign");
        await _aks.Operator.SetSecretAsync(secret, secret == "root-cert" ? foreign.Root.Certificate.ToPem() : foreign.Intermediate.Certificate.ToPem());
        var versions = new[] { "root-cert", "ca-cert", "ca-key", "cert-chain" }.ToDictionary(n => n, n => _aks.Vault.SecretVersions(n).Count);

        var refusal = await Assert.ThrowsAsync<UnsafeStepException>(() => runner.RunAsync(started.Id, RotationPhase.DistributeTrust));

        Assert.StartsWith("drift:", refusal.Message, StringComparison.Ordinal);
        Assert.Contains($"key vault {_aks.Vault.Host} secret {secret}", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("does not know", refusal.Message, StringComparison.Ordinal);
        Assert.All(versions, v => Assert.Equal(v.Value, _aks.Vault.SecretVersions(v.Key).Count));
    }

    [Fact]
    public async Task Preflight_checks_the_four_secrets_the_add_on_istiod_and_that_the_cluster_holds_what_key_vault_holds()
    {
        var target = (await _resolver.ResolveAsync(Domain)).Single();

        var ready = await target.PreflightAsync(RotationKind.Root);
        Assert.True(ready.Passed, string.Join("; ", ready.Checks.Where(c => !c.Passed).Select(c => $"{c.Name}: {c.Detail}")));
        Assert.Contains(ready.Checks, c => c.Name == "add-on istiod" && c.Detail.Contains("istio-spc-asm-1-26", StringComparison.Ordinal));

        // An operator's write the CSI driver has not polled yet: the cluster does not run what Key Vault holds.
        await _aks.Operator.SetSecretAsync("root-cert", Pem.WriteCertificates([_a.Root.Certificate, _a.Root.Certificate]));
        var unsynced = await target.PreflightAsync(RotationKind.Root);
        var sync = Assert.Single(unsynced.Checks, c => c.Name == "csi sync");
        Assert.False(sync.Passed);
        Assert.Contains("root-cert", sync.Detail, StringComparison.Ordinal);

        await _aks.Vault.DisposeAsync();
        await Assert.ThrowsAsync<TargetUnavailableException>(() => target.PreflightAsync(RotationKind.Root));
    }

    private static IReadOnlyList<string> Roots(string? pem) => Pem.ReadCertificates(pem!).Select(c => c.Sha256).Distinct().ToList();

    /// <summary>One check of a gate phase and what the cluster showed when it ran.</summary>
    private sealed record GateCheck(RotationPhase Phase, bool Passed, string Reason, bool Synced, bool IstiodHoldsVaultRoots);

    /// <summary>
    /// Approves everything. A gate wait is where time passes: the CSI driver polls (the cluster sees Key Vault's
    /// writes), the real-time controllers get a moment, and the engine's fake clock moves to the gate's next check.
    /// </summary>
    private sealed class PollingContext(RotationStepRunner runner, RotationService service, FakeTimeProvider time, AksAddOnCluster aks) : IRotationWorkflowContext
    {
        public List<GateCheck> Checks { get; } = [];

        public DateTimeOffset CurrentUtcDateTime => time.GetUtcNow();

        public Task<RotationRecord> LoadAsync(string rotationId) => runner.LoadAsync(rotationId);

        public async Task<RotationRecord> RunStepAsync(string rotationId, RotationPhase phase)
        {
            var synced = aks.Synced();
            var istiodHolds = aks.Istiod.HeldRootCertPem == await aks.ReadAsync("root-cert");
            var record = await runner.RunAsync(rotationId, phase);
            if (Gates.Contains(phase))
                Checks.Add(new GateCheck(phase, record.CurrentPhase != phase, record.Gate?.Reason ?? "", synced, istiodHolds));
            return record;
        }

        public async Task DelayUntilAsync(DateTimeOffset fireAt)
        {
            await aks.PollAsync();
            await Task.Delay(100);
            if (fireAt > time.GetUtcNow())
                time.Advance(fireAt - time.GetUtcNow());
        }

        public async Task<bool> WaitForApprovalAsync(string rotationId, RotationPhase phase)
        {
            await service.ApproveAsync(rotationId, phase, "e2e");
            return true;
        }
    }
}
