using Rotation.Core.Authorities.Adoption;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations.Drift;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Targets;
using Rotation.Infra.Kubernetes.Tests.Support;
using Rotation.Infra.Sqlite;
using Rotation.Testing;

namespace Rotation.Infra.Kubernetes.Tests;

/// <summary>What each target says it holds (ReadContentAsync, the drift gate's and adoption's input), and object claims at cluster add.</summary>
public sealed class TargetContentTests : IAsyncLifetime
{
    private readonly Material _pki = new();
    private readonly TempDirectory _directory = new("rotation-content");
    private SimCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await SimCluster.StartAsync();

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _directory.Dispose();
    }

    private Task<TargetContent> ReadAsync(string kind, Dictionary<string, string>? options = null) =>
        TargetCatalog.Create(_cluster.Connection, new TargetSpec(kind, options ?? [])).ReadContentAsync();

    [Fact]
    public async Task Istio_reports_root_cert_pem_and_the_issuer_with_its_chain_and_key()
    {
        Seed.Istio(_cluster.Store, _pki.A, multiRoot: true);

        var content = await ReadAsync("istio");

        var trust = Assert.Single(content.Trust);
        Assert.Equal("secret istio-system/cacerts root-cert.pem", trust.Location);
        Assert.Equal([_pki.A.Root.Certificate.Sha256], trust.Roots!.Select(r => r.Sha256));
        Assert.Equal(_pki.A.Intermediate.Certificate, content.Issuer!.Certificate);
        Assert.Contains(_pki.A.Root.Certificate, content.Issuer.Chain!);
        Assert.True(content.Issuer.Key!.Matches(_pki.A.Intermediate.Certificate));
        Assert.Equal("prod-west", content.Cluster);
    }

    [Fact]
    public async Task Linkerd_reports_both_trust_objects_and_the_issuer_and_adopts_from_them()
    {
        SeedLinkerd.Install(_cluster.Store, _pki.A);

        var content = await ReadAsync("linkerd");
        var source = AdoptionFromTargets.From("prod-west", [content]);

        Assert.Equal(["configmap linkerd/linkerd-identity-trust-roots ca-bundle.crt", "secret linkerd/linkerd-identity-issuer ca.crt"], content.Trust.Select(t => t.Location));
        Assert.Equal(_pki.A.Intermediate.Certificate, content.Issuer!.Certificate);
        Assert.Equal([_pki.A.Root.Certificate], source.Roots);
        Assert.Equal(_pki.A.Intermediate.Certificate, source.Intermediate);
    }

    [Fact]
    public async Task Cert_manager_reports_its_CA_secret_and_trust_manager_its_source_which_may_be_absent()
    {
        _cluster.Store.PutCaIssuer("payments", "mesh-ca", "mesh-ca-secret");
        _cluster.Store.PutCaSecret("payments", "mesh-ca-secret", _pki.A.Intermediate, [_pki.A.Root.Certificate], [_pki.A.Root.Certificate]);

        var certManager = await ReadAsync("cert-manager", new() { ["issuerKind"] = "Issuer", ["issuerName"] = "mesh-ca", ["namespace"] = "payments" });
        var trustManagerAbsent = await ReadAsync("trust-manager", new() { ["bundle"] = "mesh-roots", ["sourceName"] = "mesh-roots" });
        _cluster.Store.PutConfigMap("cert-manager", "mesh-roots", new Dictionary<string, string> { ["ca.crt"] = _pki.Both.ToPem() });
        var trustManager = await ReadAsync("trust-manager", new() { ["bundle"] = "mesh-roots", ["sourceName"] = "mesh-roots" });

        // The CA issuer's ca.crt is the root of its signing chain, not a trust store (cert-manager signs with tls.crt +
        // certs[0] of ca.crt): it is the top of the issuer's chain.
        Assert.Empty(certManager.Trust);
        Assert.Equal(_pki.A.Intermediate.Certificate, certManager.Issuer!.Certificate);
        Assert.Equal(_pki.A.Root.Certificate, certManager.Issuer.Chain![^1]);
        Assert.Null(trustManagerAbsent.Issuer);
        Assert.True(Assert.Single(trustManagerAbsent.Trust).MayBeAbsent);
        Assert.Null(trustManagerAbsent.Trust[0].Roots);
        Assert.Equal(_pki.Both.Fingerprints.Order(), Assert.Single(trustManager.Trust).Roots!.Select(r => r.Sha256).Order());
    }

    [Fact]
    public async Task A_cluster_check_names_drift_with_cluster_object_and_fingerprint()
    {
        Seed.Istio(_cluster.Store, _pki.B, multiRoot: true);
        var store = new SqliteStateStore(new SqliteStoreOptions { DatabasePath = _directory.File("rotation.db") });
        await store.CommitAsync(new Core.Ports.ChangeSet
        {
            Domain = new TrustDomain("mesh.example.internal", Material.Now, KeyAlgorithm.EcdsaP256),
            Authorities =
            [
                new CertificateAuthority("root-a", "mesh.example.internal", CaRole.Root, CaStatus.Active, null, _pki.A.Root.Certificate, new KeyReference("local", "a")),
                new CertificateAuthority("int-a", "mesh.example.internal", CaRole.Intermediate, CaStatus.Active, "root-a", _pki.A.Intermediate.Certificate, new KeyReference("local", "a1")),
            ],
        });
        var registry = new ClusterRegistry(store, new ClusterCheck(_cluster.Factory), TimeProvider.System);
        await registry.AddAsync(new ClusterAddRequest("prod-west", "mesh.example.internal", ClusterConnectionKind.Kubeconfig, _cluster.KubeconfigPath, "sim", null, [new TargetSpec("istio", new Dictionary<string, string>())]));

        var report = await registry.CheckAsync("prod-west");

        var drift = report.Lines.Where(l => l.Check == $"prod-west/istio: {ClusterCheck.DriftCheck}").ToList();
        Assert.Equal(2, drift.Count);
        Assert.All(drift, l => Assert.False(l.Passed));
        Assert.Contains(drift, l => l.Detail.Contains($"sha256:{_pki.B.Root.Certificate.Sha256}") && l.Detail.Contains("secret istio-system/cacerts root-cert.pem"));
        Assert.Contains(drift, l => l.Detail.Contains($"issuer sha256:{_pki.B.Intermediate.Certificate.Sha256}"));
        Assert.All(drift, l => Assert.Contains("rotation adopt --from-cluster prod-west", l.Detail));
    }

    [Fact]
    public async Task Two_domains_may_not_claim_the_same_object_and_the_refusal_names_the_other_domain()
    {
        var store = new SqliteStateStore(new SqliteStoreOptions { DatabasePath = _directory.File("claims.db") });
        await store.CommitAsync(new Core.Ports.ChangeSet { Domain = new TrustDomain("mesh.example.internal", Material.Now, KeyAlgorithm.EcdsaP256) });
        await store.CommitAsync(new Core.Ports.ChangeSet { Domain = new TrustDomain("other.example.internal", Material.Now, KeyAlgorithm.EcdsaP256) });
        var registry = new ClusterRegistry(store, new ClusterCheck(_cluster.Factory), TimeProvider.System);
        ClusterAddRequest Add(string name, string domain, string target) =>
            new(name, domain, ClusterConnectionKind.Kubeconfig, _cluster.KubeconfigPath, "sim", null, [TargetSpecParser.Parse(target)]);
        await registry.AddAsync(Add("prod-west", "mesh.example.internal", "istio"));

        // A claim is a refusal (exit 3), like the drift gate: writing there would overwrite another domain's trust.
        var refusal = await Assert.ThrowsAsync<UnsafeStepException>(() => registry.AddAsync(Add("prod-west-2", "other.example.internal", "istio")));
        var renamed = await Assert.ThrowsAsync<UnsafeStepException>(() => registry.AddAsync(Add("prod-west-3", "other.example.internal", "istio:secret=cacerts")));
        await registry.AddAsync(Add("prod-west-4", "other.example.internal", "istio:secret=other-cacerts"));

        Assert.Contains("secret istio-system/cacerts", refusal.Message);
        Assert.Contains("cluster 'prod-west' of trust domain 'mesh.example.internal'", refusal.Message);
        Assert.Contains("trust domain 'mesh.example.internal'", renamed.Message);
        Assert.Equal(["prod-west", "prod-west-4"], (await registry.ListAsync()).Select(c => c.Name));
    }
}
