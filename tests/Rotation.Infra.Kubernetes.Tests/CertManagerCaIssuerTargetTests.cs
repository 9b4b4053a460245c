using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Infra.Kubernetes.Targets;
using Rotation.Infra.Kubernetes.Tests.Support;
using Rotation.Testing;

namespace Rotation.Infra.Kubernetes.Tests;

public sealed class CertManagerCaIssuerTargetTests : IAsyncLifetime
{
    private readonly Material _pki = new();
    private SimCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await SimCluster.StartAsync(controllers: true);
        var store = _cluster.Store;
        store.EnsureNamespace("cert-manager");
        store.PutCaSecret("cert-manager", "mesh-ca", _pki.A.Intermediate, [_pki.A.Root.Certificate], [_pki.A.Root.Certificate]);
        store.PutCaIssuer(null, "mesh-ca", "mesh-ca");
        var other = TestPki.Hierarchy(Material.Now, name: "Other");
        store.PutCaSecret("cert-manager", "other-ca", other.Intermediate, [other.Root.Certificate], [other.Root.Certificate]);
        store.PutCaIssuer(null, "other-ca", "other-ca");
        store.PutCertificate("payments", "api", "api-tls", "mesh-ca", "ClusterIssuer");
        store.PutCertificate("orders", "web", "web-tls", "mesh-ca", "ClusterIssuer");
        store.PutCertificate("legacy", "old", "old-tls", "other-ca", "ClusterIssuer");
        await Eventually.UntilAsync(() => new[] { ("payments", "api-tls"), ("orders", "web-tls"), ("legacy", "old-tls") }
            .All(s => store.TryGet(ResourceKinds.Secrets, s.Item1, s.Item2) is { } secret && KubeObjects.SecretText(secret, "tls.crt") is not null));
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private KubernetesTarget Target(string caTrust = "ignore") => TargetCatalog.Create(_cluster.Connection,
        new TargetSpec("cert-manager", new Dictionary<string, string> { ["issuerName"] = "mesh-ca", ["certificateCaTrust"] = caTrust }));

    private Task<LeafReport> LeavesIssuedByAsync(Certificate issuer) =>
        Eventually.UntilAsync(() => Target().ReportLeavesAsync(), r => r.Leaves.All(l => l.Leaf.IsSignedBy(issuer)));

    [Fact]
    public async Task Leaves_come_from_the_secrets_of_the_certificates_that_use_the_issuer()
    {
        var leaves = await Target().ReportLeavesAsync();

        Assert.True(leaves.Observable);
        Assert.Equal(["secret orders/web-tls", "secret payments/api-tls"], leaves.Leaves.Select(l => l.Location));
        Assert.All(leaves.Leaves, l => Assert.True(l.Leaf.IsSignedBy(_pki.A.Intermediate.Certificate), l.Location));
        Assert.Equal(1, _cluster.Requests.Count("list", "certificates"));
        Assert.Equal(1, _cluster.Requests.Count("list", "secrets"));
    }

    [Fact]
    public async Task Switching_the_issuer_writes_its_secret_and_renews_exactly_the_certificates_that_use_it()
    {
        _cluster.Requests.Clear();

        await Target().ApplyIssuerAsync(_pki.IssuerB(_pki.Both), Material.Context(RotationPhase.SwitchIssuer));

        var secret = _cluster.Store.Get(ResourceKinds.Secrets, "cert-manager", "mesh-ca");
        Assert.Equal([_pki.B.Intermediate.Certificate.Sha256, _pki.B.Root.Certificate.Sha256], Pem.ReadCertificates(KubeObjects.SecretText(secret, "tls.crt")!).Select(c => c.Sha256));
        // cert-manager 2d0d7f7f pkg/util/pki/parse.go: only certs[0] of ca.crt is used, so ca.crt is the chain's own root.
        Assert.Equal([_pki.B.Root.Certificate.Sha256], Pem.ReadCertificates(KubeObjects.SecretText(secret, "ca.crt")!).Select(c => c.Sha256));
        var renewed = _cluster.Requests.Entries
            .Where(r => r.Request.Verb == "update" && r.Request.Resource == "certificates" && r.Request.Subresource == "status")
            .Select(r => $"{r.Request.Namespace}/{r.Request.Name}").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["orders/web", "payments/api"], renewed);

        var leaves = await LeavesIssuedByAsync(_pki.B.Intermediate.Certificate);
        Assert.Equal(2, leaves.Leaves.Count);
        Assert.All(leaves.Leaves, l => Assert.True(l.Leaf.IsSignedBy(_pki.B.Intermediate.Certificate), l.Location));
        var untouched = _cluster.Store.Get(ResourceKinds.Secrets, "legacy", "old-tls");
        Assert.False(Pem.ReadCertificates(KubeObjects.SecretText(untouched, "tls.crt")!)[0].IsSignedBy(_pki.B.Intermediate.Certificate));
    }

    [Fact]
    public async Task Switching_again_after_the_leaves_moved_writes_and_renews_nothing()
    {
        await Target().ApplyIssuerAsync(_pki.IssuerB(_pki.Both), Material.Context(RotationPhase.SwitchIssuer));
        await LeavesIssuedByAsync(_pki.B.Intermediate.Certificate);
        _cluster.Requests.Clear();

        await Target().ApplyIssuerAsync(_pki.IssuerB(_pki.Both), Material.Context(RotationPhase.SwitchIssuer));

        Assert.Empty(_cluster.Writes());
    }

    [Fact]
    public async Task Distributing_trust_writes_nothing_and_the_issuer_carries_no_trust_store()
    {
        // Upstream rule (cert-manager 2d0d7f7f, pkg/util/kube/pki.go SecretTLSKeyPairAndCA + pkg/util/pki/parse.go
        // DecodeX509CertificateBytes → certs[0]): the CA issuer's ca.crt is part of its signing chain, not a trust
        // store. Writing the bundle [A, B] there (what this target did) breaks signing after the switch.
        var before = _cluster.Store.Get(ResourceKinds.Secrets, "cert-manager", "mesh-ca");
        _cluster.Requests.Clear();

        await Target().ApplyTrustBundleAsync(_pki.Both, Material.Context(RotationPhase.DistributeTrust));

        Assert.Empty(_cluster.Writes());
        var after = _cluster.Store.Get(ResourceKinds.Secrets, "cert-manager", "mesh-ca");
        Assert.Equal(KubeObjects.SecretText(before, "ca.crt"), KubeObjects.SecretText(after, "ca.crt"));
        var trust = await Target().ReportTrustAsync();
        Assert.Empty(trust.Stores);
        Assert.Contains("certificateCaTrust=ignore", trust.CarriesNoTrust, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reporting_certificate_ca_trust_shows_each_certificate_secret_and_refuses_a_root_rotation()
    {
        var target = Target("report");

        var trust = await target.ReportTrustAsync();
        var root = await target.PreflightAsync(RotationKind.Root);
        var intermediate = await target.PreflightAsync(RotationKind.Intermediate);

        Assert.Equal(["secret orders/web-tls ca.crt", "secret payments/api-tls ca.crt"], trust.Stores.Select(s => s.Location));
        Assert.False(root.Passed);
        Assert.Contains(root.Checks, c => !c.Passed && c.Detail.Contains("trust-manager", StringComparison.Ordinal));
        Assert.True(intermediate.Passed);
        Assert.True((await Target("ignore").PreflightAsync(RotationKind.Root)).Passed);
    }

    [Fact]
    public async Task A_namespaced_issuer_renews_only_certificates_of_its_own_namespace()
    {
        var store = _cluster.Store;
        store.PutCaSecret("payments", "local-ca", _pki.A.Intermediate, [_pki.A.Root.Certificate], [_pki.A.Root.Certificate]);
        store.PutCaIssuer("payments", "local-ca", "local-ca");
        store.PutCaSecret("orders", "local-ca", _pki.A.Intermediate, [_pki.A.Root.Certificate], [_pki.A.Root.Certificate]);
        store.PutCaIssuer("orders", "local-ca", "local-ca");
        store.PutCertificate("payments", "local", "local-tls", "local-ca");
        store.PutCertificate("orders", "local", "local-tls", "local-ca");
        await Eventually.UntilAsync(() => new[] { "payments", "orders" }.All(ns => store.TryGet(ResourceKinds.Secrets, ns, "local-tls") is not null));
        var target = TargetCatalog.Create(_cluster.Connection, new TargetSpec("cert-manager",
            new Dictionary<string, string> { ["issuerKind"] = "Issuer", ["issuerName"] = "local-ca", ["namespace"] = "payments", ["certificateCaTrust"] = "ignore" }));
        _cluster.Requests.Clear();

        await target.ApplyIssuerAsync(_pki.IssuerB(_pki.Both), Material.Context(RotationPhase.SwitchIssuer));

        var renewed = _cluster.Requests.Entries.Where(r => r.Request.Resource == "certificates" && r.Request.Subresource == "status").Select(r => $"{r.Request.Namespace}/{r.Request.Name}");
        Assert.Equal(["payments/local"], renewed);
        // While the triggered issuance runs, the location says so ("(issuing: ManuallyTriggered)").
        Assert.StartsWith("secret payments/local-tls", Assert.Single((await target.ReportLeavesAsync()).Leaves).Location, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Preflight_names_a_missing_issuer()
    {
        var target = TargetCatalog.Create(_cluster.Connection, new TargetSpec("cert-manager", new Dictionary<string, string> { ["issuerName"] = "nope" }));

        var report = await target.PreflightAsync(RotationKind.Intermediate);

        var check = Assert.Single(report.Checks);
        Assert.False(check.Passed);
        Assert.Contains("ClusterIssuer nope not found", check.Detail, StringComparison.Ordinal);
    }
}
