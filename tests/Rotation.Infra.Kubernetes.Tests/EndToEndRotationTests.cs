using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Infra.Kubernetes.Targets;
using Rotation.Infra.Kubernetes.Tests.Support;
using Rotation.Infra.LocalVault;
using Rotation.Infra.Sqlite;
using Rotation.Testing;

namespace Rotation.Infra.Kubernetes.Tests;

/// <summary>
/// The real engine (service, step runner, driver) over the real SQLite store and local vault, fanning out through
/// <see cref="KubernetesTargetResolver"/> to one simulated cluster that runs Istio, Linkerd, cert-manager and
/// trust-manager with their simulated controllers. The engine's clock is fake (gate waits and the leaf time rule pass
/// instantly); the controllers run on real time, so every wait also yields a little real time to let them act.
/// </summary>
public sealed partial class EndToEndRotationTests : IAsyncLifetime
{
    private const string Domain = TestPki.TrustDomain;
    private readonly TempDirectory _directory = new("rotation-e2e");
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private SimCluster _cluster = null!;
    private SqliteStateStore _store = null!;
    private LocalKeyVault _vault = null!;
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
        _cluster = await SimCluster.StartAsync(controllers: true, clock: new EngineClock(_time));
        _store = new SqliteStateStore(new SqliteStoreOptions { DatabasePath = _directory.File("rotation.db") });
        // Seeded through the vault files as a home made before custody; the engine reads them through the custody.
        var keys = new LocalKeyVaultOptions { KeyDirectory = _directory.File("keys"), Passphrase = "e2e-test-passphrase" };
        _vault = new LocalKeyVault(keys);
        _custody = new LocalKeyCustody(keys);
        _a = TestPki.Hierarchy(_time.GetUtcNow());
        await SeedDomainAsync();
        SeedMeshes();
        var registry = new ClusterRegistry(_store, new ClusterCheck(_cluster.Factory), _time);
        await registry.AddAsync(new ClusterAddRequest(_cluster.Name, Domain, ClusterConnectionKind.Kubeconfig, _cluster.KubeconfigPath, "sim", null,
        [
            TargetSpecParser.Parse("istio"),
            TargetSpecParser.Parse("linkerd:restartNamespaces=payments"),
            TargetSpecParser.Parse("cert-manager:issuerName=mesh-ca,certificateCaTrust=ignore"),
            TargetSpecParser.Parse("trust-manager:bundle=mesh-bundle,sourceName=mesh-roots"),
        ]));
        _resolver = new KubernetesTargetResolver(_store, _cluster.Factory);
        await Eventually.UntilAsync(() => Istio().ReportTrustAsync(), r => r.Stores.Count >= 3);
        await Eventually.UntilAsync(() => _cluster.Store.TryGet(ResourceKinds.Secrets, "payments", "api-tls") is not null);
    }

    public async Task DisposeAsync()
    {
        _resolver.Dispose();
        await _cluster.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task A_root_rotation_then_an_intermediate_rotation_complete_on_every_target()
    {
        var root = await RotateAsync(RotationKind.Root);

        Assert.Equal(RotationStatus.Completed, root.Status);
        var (rootB, intB) = await ActiveAsync();
        Assert.NotEqual(_a.Root.Certificate, rootB);
        AssertEverywhere(rootB, intB);
        await AssertMeshesSignWithAsync(intB);

        var intermediate = await RotateAsync(RotationKind.Intermediate);

        Assert.Equal(RotationStatus.Completed, intermediate.Status);
        var (sameRoot, intB2) = await ActiveAsync();
        Assert.Equal(rootB, sameRoot);
        Assert.NotEqual(intB, intB2);
        AssertEverywhere(rootB, intB2);
        await AssertMeshesSignWithAsync(intB2);
    }

    [Fact]
    public async Task A_root_rotation_aborted_after_the_issuer_switch_unwinds_every_target_back_to_root_a()
    {
        var runner = new RotationStepRunner(_store, _custody, _resolver, _time);
        var service = new RotationService(_store, _custody, _resolver, _time);
        var started = await service.StartAsync(Domain, RotationKind.Root, Policy, "e2e");

        // Approvals are withheld, so the driver stops before the point of no return (RetireOldRoot), after the switch.
        var parked = await RotationDriver.RunAsync(new Context(runner, service, _time, approve: false), started.Id);
        Assert.Equal(RotationPhase.RetireOldRoot, parked.CurrentPhase);
        var switchedTo = Pem.ReadCertificates(KubeObjects.SecretText(_cluster.Store.Get(ResourceKinds.Secrets, "istio-system", "cacerts"), "ca-cert.pem")!)[0];
        Assert.NotEqual(_a.Intermediate.Certificate, switchedTo);

        await service.AbortAsync(started.Id, "e2e");
        var aborted = await RotationDriver.RunAsync(new Context(runner, service, _time), started.Id);

        Assert.True(aborted.Status == RotationStatus.Aborted, $"ended {aborted.Status}: {aborted.FailureReason} {aborted.Gate?.Reason}");
        AssertEverywhere(_a.Root.Certificate, _a.Intermediate.Certificate);
        await AssertMeshesSignWithAsync(_a.Intermediate.Certificate);
    }

    private IRotationTarget Istio() => TargetCatalog.Create(_cluster.Connection, new TargetSpec("istio", new Dictionary<string, string>()));

    private async Task<RotationRecord> RotateAsync(RotationKind kind)
    {
        var runner = new RotationStepRunner(_store, _custody, _resolver, _time);
        var service = new RotationService(_store, _custody, _resolver, _time);
        var started = await service.StartAsync(Domain, kind, Policy, "e2e");
        var context = new Context(runner, service, _time);
        var record = await RotationDriver.RunAsync(context, started.Id);
        Assert.True(record.Status == RotationStatus.Completed, $"{kind} rotation ended {record.Status}: {record.FailureReason} {record.Gate?.Reason}");
        return record;
    }

    private async Task<(Certificate Root, Certificate Intermediate)> ActiveAsync()
    {
        var authorities = await _store.ListAuthoritiesAsync(Domain);
        return (authorities.Single(a => a.Role == CaRole.Root && a.Status == CaStatus.Active).Certificate,
                authorities.Single(a => a.Role == CaRole.Intermediate && a.Status == CaStatus.Active).Certificate);
    }

    private void AssertEverywhere(Certificate root, Certificate intermediate)
    {
        var store = _cluster.Store;
        var only = new[] { root.Sha256 };
        var cacerts = store.Get(ResourceKinds.Secrets, "istio-system", "cacerts");
        Assert.Equal(intermediate, Certificate.FromPem(KubeObjects.SecretText(cacerts, "ca-cert.pem")!));
        Assert.Equal(only, Fingerprints(KubeObjects.SecretText(cacerts, "root-cert.pem")));
        Assert.Equal(only, Fingerprints(KubeObjects.ConfigMapText(store.Get(ResourceKinds.ConfigMaps, "payments", "istio-ca-root-cert"), "root-cert.pem")));

        Assert.Equal(only, Fingerprints(KubeObjects.ConfigMapText(store.Get(ResourceKinds.ConfigMaps, "linkerd", "linkerd-identity-trust-roots"), "ca-bundle.crt")));
        Assert.Equal(intermediate, Certificate.FromPem(KubeObjects.SecretText(store.Get(ResourceKinds.Secrets, "linkerd", "linkerd-identity-issuer"), "tls.crt")!));
        var proxies = store.List(ResourceKinds.Pods, "payments").Items
            .Select(p => p["spec"]!["containers"]!.AsArray().OfType<JsonObject>().Single(c => c["name"]!.GetValue<string>() == "linkerd-proxy"))
            .Select(c => c["env"]![0]!["value"]!.GetValue<string>()).ToList();
        Assert.NotEmpty(proxies);
        Assert.All(proxies, anchors => Assert.Equal(only, Fingerprints(anchors)));

        var leaf = Pem.ReadCertificates(KubeObjects.SecretText(store.Get(ResourceKinds.Secrets, "payments", "api-tls"), "tls.crt")!)[0];
        Assert.True(leaf.IsSignedBy(intermediate));

        Assert.Equal(only, Fingerprints(KubeObjects.ConfigMapText(store.Get(ResourceKinds.ConfigMaps, "cert-manager", "mesh-roots"), "ca.crt")));
        Assert.Equal(only, Fingerprints(KubeObjects.ConfigMapText(store.Get(ResourceKinds.ConfigMaps, "payments", "mesh-bundle"), "roots.pem")));
    }

    /// <summary>
    /// The simulated istiod follows istiod's cacerts watcher (unchanged root-cert.pem bytes: no reload; changed bytes:
    /// only a super- or substring with multi-root) and Linkerd's identity controller verifies the issuer against its
    /// roots: both must end up signing with <paramref name="intermediate"/>, with no istiod restart needed.
    /// </summary>
    private async Task AssertMeshesSignWithAsync(Certificate intermediate)
    {
        var mesh = _cluster.Mesh!;
        await Eventually.UntilAsync(() => intermediate.Equals(mesh.Istio.LoadedCa?.Ca.Certificate) && intermediate.Equals(mesh.Linkerd.LoadedIssuer?.Ca.Certificate));
        Assert.True(intermediate.Equals(mesh.Istio.LoadedCa?.Ca.Certificate), $"istiod signs with {mesh.Istio.LoadedCa?.Ca.Certificate}: {mesh.Istio.LastDecision} {mesh.Istio.CaLoadError}");
        Assert.True(intermediate.Equals(mesh.Linkerd.LoadedIssuer?.Ca.Certificate), $"linkerd identity signs with {mesh.Linkerd.LoadedIssuer?.Ca.Certificate}: {mesh.Linkerd.IssuerLoadError}");
        Assert.Null(KubeObjects.Annotations(_cluster.Store.Get(ResourceKinds.Deployments, "istio-system", "istiod")).GetValueOrDefault("rotation.dev/restarted-for"));
    }

    private static IReadOnlyList<string> Fingerprints(string? pem) => Pem.ReadCertificates(pem!).Select(c => c.Sha256).Distinct().ToList();

    private async Task SeedDomainAsync()
    {
        var rootKey = await _vault.StoreAsync("root-a", _a.Root.Key);
        var intermediateKey = await _vault.StoreAsync("int-a", _a.Intermediate.Key);
        await _store.CommitAsync(new ChangeSet
        {
            Domain = new TrustDomain(Domain, _time.GetUtcNow(), KeyAlgorithm.EcdsaP256),
            Authorities =
            [
                new CertificateAuthority("root-a", Domain, CaRole.Root, CaStatus.Active, null, _a.Root.Certificate, rootKey),
                new CertificateAuthority("int-a", Domain, CaRole.Intermediate, CaStatus.Active, "root-a", _a.Intermediate.Certificate, intermediateKey),
            ],
        });
    }

    private void SeedMeshes()
    {
        var store = _cluster.Store;
        var roots = new[] { _a.Root.Certificate };
        store.SeedIstiod(multiRootMesh: true, proxyConfigXdsAgent: true);
        store.PutIstioCaCerts(_a.Intermediate, roots, roots);
        store.SeedLinkerd(roots, _a.Intermediate);
        store.SeedLinkerdControlPlane();
        foreach (var name in new[] { "api", "web" })
        {
            store.PutWorkload("payments", name, linkerdMeshed: true);
            // The real proxy injector labels meshed pods with their control plane; the simulated one does not, so the template does.
            store.Modify(ResourceKinds.Deployments, "payments", name, d =>
            {
                d["spec"]!["template"]!["metadata"]!["labels"]!["linkerd.io/control-plane-ns"] = "linkerd";
                return d;
            }, WriteScope.All);
        }

        store.PutCaSecret("cert-manager", "mesh-ca", _a.Intermediate, roots, roots);
        store.PutCaIssuer(null, "mesh-ca", "mesh-ca");
        store.PutCertificate("payments", "api-cert", "api-tls", "mesh-ca", "ClusterIssuer");
        store.PutConfigMap("cert-manager", "mesh-roots", new Dictionary<string, string> { ["ca.crt"] = _a.Root.Certificate.ToPem() });
        store.PutBundle("mesh-bundle", [("mesh-roots", "ca.crt")], "roots.pem");
    }

    /// <summary>Approves everything; a wait moves the engine's fake clock and gives the real-time controllers a moment.</summary>
    private sealed class Context(RotationStepRunner runner, RotationService service, FakeTimeProvider time, bool approve = true) : IRotationWorkflowContext
    {
        public DateTimeOffset CurrentUtcDateTime => time.GetUtcNow();

        public Task<RotationRecord> LoadAsync(string rotationId) => runner.LoadAsync(rotationId);

        public Task<RotationRecord> RunStepAsync(string rotationId, RotationPhase phase) => runner.RunAsync(rotationId, phase);

        public async Task DelayUntilAsync(DateTimeOffset fireAt)
        {
            await Task.Delay(50);
            if (fireAt > time.GetUtcNow())
                time.Advance(fireAt - time.GetUtcNow());
        }

        public async Task<bool> WaitForApprovalAsync(string rotationId, RotationPhase phase)
        {
            if (!approve)
                return false;
            await service.ApproveAsync(rotationId, phase, "e2e");
            return true;
        }
    }
}
