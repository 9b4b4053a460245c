using System.Text.Json.Nodes;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Infra.Kubernetes.Simulator.Controllers;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Infra.Kubernetes.Targets;
using Rotation.Infra.Kubernetes.Tests.Support;
using Rotation.Testing;

namespace Rotation.Infra.Kubernetes.Tests;

/// <summary>
/// The cert-manager CA issuer rules a root rotation depends on, each from cert-manager/cert-manager at
/// 2d0d7f7f7f74241a9cbf79f0e2a7bb247238ee09fd (after v1.21.1) or cert-manager/cmctl at
/// 9f4f8916c2df8f1ea9fd015517f0c31349195187, run on the simulated cert-manager through the real target.
/// </summary>
public sealed class CertManagerUpstreamRulesTests : IAsyncLifetime
{
    private readonly Material _pki = new();
    private SimCluster _cluster = null!;

    private KubeObjectStore Store => _cluster.Store;

    public async Task InitializeAsync()
    {
        _cluster = await SimCluster.StartAsync(controllers: true);
        Store.EnsureNamespace("cert-manager");
        Store.PutCaSecret("cert-manager", "mesh-ca", _pki.A.Intermediate, [_pki.A.Root.Certificate], [_pki.A.Root.Certificate]);
        Store.PutCaIssuer(null, "mesh-ca", "mesh-ca");
        Store.PutCertificate("payments", "api", "api-tls", "mesh-ca", "ClusterIssuer");
        await IssuedAsync("payments", "api-tls");
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private KubernetesTarget Target() => TargetCatalog.Create(_cluster.Connection,
        new TargetSpec("cert-manager", new Dictionary<string, string> { ["issuerName"] = "mesh-ca", ["certificateCaTrust"] = "ignore" }));

    private Task IssuedAsync(string ns, string secret) =>
        Eventually.UntilAsync(() => Store.TryGet(ResourceKinds.Secrets, ns, secret) is { } s && KubeObjects.SecretText(s, "tls.crt") is not null);

    private Certificate LeafOf(string ns, string secret) => Pem.ReadCertificates(KubeObjects.SecretText(Store.Get(ResourceKinds.Secrets, ns, secret), "tls.crt")!)[0];

    private JsonObject Certificate(string ns, string name) => Store.Get(ResourceKinds.Certificates, ns, name);

    private static string? Condition(JsonObject obj, string type, string field) => KubeObjects.StringAt(Conditions.Find(obj, type), field);

    [Fact]
    public async Task A_bundle_in_the_CA_secrets_ca_crt_breaks_signing_with_SigningError_then_backs_off()
    {
        // pkg/util/kube/pki.go SecretTLSKeyPairAndCA: chain = tls.crt + certs[0] of ca.crt (pkg/util/pki/parse.go);
        // pkg/util/pki/csr.go SignCSRTemplate → ParseSingleCertificateChain: "certificate chain is malformed or broken";
        // pkg/controller/certificaterequests/ca/ca.go: reporter.Failed(..., "SigningError", "Error signing certificate").
        // This is the Secret the old target wrote after the switch: new intermediate, ca.crt = [old, new].
        Store.PutCaSecret("cert-manager", "mesh-ca", _pki.B.Intermediate, [_pki.B.Root.Certificate], [_pki.A.Root.Certificate, _pki.B.Root.Certificate]);
        Store.PutCertificate("orders", "web", "web-tls", "mesh-ca", "ClusterIssuer");

        var failed = await Eventually.UntilAsync(() => Task.FromResult(Certificate("orders", "web")), c => KubeObjects.StringAt(c, "status", "lastFailureTime") is not null);

        Assert.Equal("False", Condition(failed, "Issuing", "status"));
        Assert.Equal("Failed", Condition(failed, "Issuing", "reason"));
        Assert.Contains(CertManagerChain.BrokenChain, Condition(failed, "Issuing", "message"), StringComparison.Ordinal);
        Assert.Equal(1, KubeObjects.LongAt(failed["status"]!["failedIssuanceAttempts"]));
        var request = Store.Get(ResourceKinds.CertificateRequests, "orders", "web-1");
        Assert.Equal("Failed", Condition(request, "Ready", "reason"));
        Assert.True(Conditions.IsTrue(request, "Approved"));
        Assert.Contains(Store.List(ResourceKinds.Events, "orders").Items, e => KubeObjects.StringAt(e, "reason") == "SigningError");
        Assert.Null(Store.TryGet(ResourceKinds.Secrets, "orders", "web-tls"));
        // pkg/controller/certificates/trigger/trigger_controller.go shouldBackoffReissuingOnFailure, defaults 1h..32h.
        var failedAt = DateTimeOffset.Parse(KubeObjects.StringAt(failed, "status", "lastFailureTime")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(failedAt + TimeSpan.FromHours(1), CertManagerController.BackoffUntil(failed));
        failed["status"]!["failedIssuanceAttempts"] = 3;
        Assert.Equal(failedAt + TimeSpan.FromHours(4), CertManagerController.BackoffUntil(failed));
        failed["status"]!["failedIssuanceAttempts"] = 9;
        Assert.Equal(failedAt + TimeSpan.FromHours(32), CertManagerController.BackoffUntil(failed));
    }

    [Fact]
    public async Task After_the_switch_a_natural_renewal_is_signed_by_the_new_issuer()
    {
        // The target's ca.crt is the new chain's own root, so a Certificate created after the switch (or renewing on its
        // own schedule) is signed; with ca.crt = [old, new] it failed as in the test above.
        await Target().ApplyIssuerAsync(_pki.IssuerB(_pki.Both), Material.Context(RotationPhase.SwitchIssuer));
        Store.PutCertificate("orders", "web", "web-tls", "mesh-ca", "ClusterIssuer");

        await IssuedAsync("orders", "web-tls");

        Assert.True(LeafOf("orders", "web-tls").IsSignedBy(_pki.B.Intermediate.Certificate));
    }

    [Fact]
    public void The_chain_is_built_as_ParseSingleCertificateChain_does()
    {
        var leaf = TestPki.Leaf(_pki.B.Intermediate, Material.Now).Certificate;

        var (chain, ca) = CertManagerChain.ParseSingleCertificateChain([_pki.B.Intermediate.Certificate, _pki.B.Root.Certificate, _pki.B.Root.Certificate, leaf]);
        Assert.Equal([leaf.Sha256, _pki.B.Intermediate.Certificate.Sha256], Pem.ReadCertificates(chain).Select(c => c.Sha256));
        Assert.Equal(_pki.B.Root.Certificate.Sha256, Pem.ReadCertificates(ca!)[0].Sha256);

        var broken = Assert.Throws<PkiException>(() => CertManagerChain.ParseSingleCertificateChain([_pki.B.Intermediate.Certificate, _pki.A.Root.Certificate, leaf]));
        Assert.Equal(CertManagerChain.BrokenChain, broken.Message);
    }

    [Fact]
    public async Task An_issued_secret_leaves_out_the_self_signed_root_and_its_ca_crt_is_the_root_of_the_chain()
    {
        // pkg/util/pki/parse_certificate_chain.go toBundleAndCA (self-signed roots are omitted, CAPEM is the top);
        // ca.crt = that CA since v1.4 (PR #3978).
        Store.PutCertificate("orders", "long", "long-tls", "mesh-ca", "ClusterIssuer");
        await IssuedAsync("orders", "long-tls");

        var secret = Store.Get(ResourceKinds.Secrets, "orders", "long-tls");
        var chain = Pem.ReadCertificates(KubeObjects.SecretText(secret, "tls.crt")!);
        Assert.Equal(2, chain.Count);
        Assert.Equal(_pki.A.Intermediate.Certificate.Sha256, chain[1].Sha256);
        Assert.Equal([_pki.A.Root.Certificate.Sha256], Pem.ReadCertificates(KubeObjects.SecretText(secret, "ca.crt")!).Select(c => c.Sha256));
    }

    [Fact]
    public async Task A_certificate_already_issuing_at_the_switch_holds_the_step_and_is_retriggered_once_that_issuance_ends()
    {
        // An issuance under way may finish with a request the old CA signed; Issuing=True set again changes nothing
        // (apiutil.SetCertificateCondition keeps a True condition), so the step holds until it ends, then re-triggers.
        await _cluster.Mesh!.CertManager.StopAsync();
        Store.Modify(ResourceKinds.Certificates, "payments", "api", c =>
        {
            Conditions.Set(c, "Issuing", true, "Renewing", "Renewing certificate as renewal was scheduled", DateTimeOffset.UtcNow);
            return c;
        }, WriteScope.Status);

        var held = await Assert.ThrowsAsync<TargetUnavailableException>(() => Target().ApplyIssuerAsync(_pki.IssuerB(_pki.Both), Material.Context(RotationPhase.SwitchIssuer)));
        Assert.Contains("payments/api (issuing: Renewing)", held.Reason, StringComparison.Ordinal);

        // That issuance ends with the old CA's leaf (the Secret still holds it).
        Store.Modify(ResourceKinds.Certificates, "payments", "api", c =>
        {
            Conditions.Remove(c, "Issuing");
            return c;
        }, WriteScope.Status);
        await Target().ApplyIssuerAsync(_pki.IssuerB(_pki.Both), Material.Context(RotationPhase.SwitchIssuer));

        var triggered = Certificate("payments", "api");
        Assert.Equal("ManuallyTriggered", Condition(triggered, "Issuing", "reason"));
        Assert.Equal("Certificate re-issuance manually triggered", Condition(triggered, "Issuing", "message"));
        _cluster.Mesh.CertManager.Start();
        await Eventually.UntilAsync(() => LeafOf("payments", "api-tls").IsSignedBy(_pki.B.Intermediate.Certificate));
        Assert.True(LeafOf("payments", "api-tls").IsSignedBy(_pki.B.Intermediate.Certificate));
    }

    [Fact]
    public async Task A_failed_certificate_is_retriggered_at_the_switch_instead_of_waiting_out_the_backoff()
    {
        Store.PutCaSecret("cert-manager", "mesh-ca", _pki.A.Intermediate, [_pki.A.Root.Certificate], [_pki.B.Root.Certificate]);
        Store.Modify(ResourceKinds.Certificates, "payments", "api", c =>
        {
            Conditions.Set(c, "Issuing", true, "ManuallyTriggered", "someone else's renew", DateTimeOffset.UtcNow);
            return c;
        }, WriteScope.Status);
        await Eventually.UntilAsync(() => KubeObjects.StringAt(Certificate("payments", "api"), "status", "lastFailureTime") is not null);

        var leaves = await Target().ReportLeavesAsync();
        Assert.Contains("issuance failed (Failed:", Assert.Single(leaves.Leaves).Location, StringComparison.Ordinal);
        Assert.Contains("cmctl renew", leaves.Leaves[0].Location, StringComparison.Ordinal);

        await Target().ApplyIssuerAsync(_pki.IssuerB(_pki.Both), Material.Context(RotationPhase.SwitchIssuer));

        await Eventually.UntilAsync(() => LeafOf("payments", "api-tls").IsSignedBy(_pki.B.Intermediate.Certificate));
        Assert.True(LeafOf("payments", "api-tls").IsSignedBy(_pki.B.Intermediate.Certificate));
        Assert.Null(KubeObjects.StringAt(Certificate("payments", "api"), "status", "lastFailureTime"));
    }

    [Fact]
    public async Task Leaf_evidence_sees_Opaque_secrets_and_requests_without_a_Certificate_and_holds_on_a_secret_not_yet_created()
    {
        // An existing Secret keeps its type (pkg/controller/certificates/issuing/internal/secret.go), so Opaque counts.
        Store.PutSecret("orders", "opaque-tls", new Dictionary<string, string> { ["note"] = "pre-created" });
        Store.PutCertificate("orders", "opaque", "opaque-tls", "mesh-ca", "ClusterIssuer");
        await IssuedAsync("orders", "opaque-tls");
        Assert.Equal("Opaque", KubeObjects.StringAt(Store.Get(ResourceKinds.Secrets, "orders", "opaque-tls"), "type"));
        // A request no Certificate owns (csi-driver, istio-csr) is signed by the same issuer.
        var request = KubeObjects.New(ResourceKinds.CertificateRequests, "mesh", "csi-abc");
        request["spec"] = new JsonObject
        {
            ["issuerRef"] = new JsonObject { ["name"] = "mesh-ca", ["kind"] = "ClusterIssuer", ["group"] = "cert-manager.io" },
            ["uris"] = new JsonArray("spiffe://cluster.local/ns/mesh/sa/app"),
            ["duration"] = "1h",
        };
        Store.EnsureNamespace("mesh");
        Store.Put(ResourceKinds.CertificateRequests, request);
        await Eventually.UntilAsync(() => KubeObjects.StringAt(Store.Get(ResourceKinds.CertificateRequests, "mesh", "csi-abc"), "status", "certificate") is not null);

        var leaves = await Target().ReportLeavesAsync();

        Assert.Equal(["secret orders/opaque-tls", "secret payments/api-tls", "certificaterequest mesh/csi-abc (no Certificate owns it: a csi-driver or istio-csr leaf held in a pod)"],
            leaves.Leaves.Select(l => l.Location));
        Assert.All(leaves.Leaves, l => Assert.True(l.Leaf.IsSignedBy(_pki.A.Intermediate.Certificate), l.Location));

        await _cluster.Mesh!.CertManager.StopAsync();
        Store.PutCertificate("orders", "new", "new-tls", "mesh-ca", "ClusterIssuer");
        var held = await Assert.ThrowsAsync<TargetUnavailableException>(() => Target().ReportLeavesAsync());
        Assert.Contains("certificate orders/new (secret new-tls", held.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("v1.21.1", "quay.io/jetstack/cert-manager-controller:v1.21.1", "cert-manager v1.21.1 (deployment cert-manager/cert-manager): issued Secrets' ca.crt holds the root of the chain it built (since v1.4, PR #3978)")]
    [InlineData(null, "quay.io/jetstack/cert-manager-controller:v1.3.1", "cert-manager v1.3.1 (deployment cert-manager/cert-manager) is older than v1.4: issued Secrets' ca.crt holds the issuing CA, not the root")]
    [InlineData(null, "registry.example/cert-manager-controller@sha256:0123", "warning: deployment cert-manager/cert-manager has no app.kubernetes.io/version label")]
    public async Task Preflight_reads_the_controller_version_and_says_what_issued_ca_crt_holds(string? versionLabel, string image, string expected)
    {
        // deploy/charts/cert-manager/templates/deployment.yaml labels the controller app.kubernetes.io/name=cert-manager,
        // app.kubernetes.io/component=controller, and _helpers.tpl "labels" adds app.kubernetes.io/version.
        var labels = new Dictionary<string, string> { ["app"] = "cert-manager", ["app.kubernetes.io/name"] = "cert-manager", ["app.kubernetes.io/component"] = "controller" };
        if (versionLabel is not null)
            labels["app.kubernetes.io/version"] = versionLabel;
        var deployment = KubeObjects.New(ResourceKinds.Deployments, "cert-manager", "cert-manager", labels);
        deployment["spec"] = new JsonObject
        {
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app.kubernetes.io/name"] = "cert-manager" } },
            ["template"] = new JsonObject { ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "cert-manager-controller", ["image"] = image }) } },
        };
        Store.Put(ResourceKinds.Deployments, deployment);

        var report = await Target().PreflightAsync(RotationKind.Root);

        var version = Assert.Single(report.Checks, c => c.Name == "version");
        Assert.True(version.Passed);
        Assert.StartsWith(expected, version.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Preflight_warns_when_no_controller_deployment_is_found()
    {
        var report = await Target().PreflightAsync(RotationKind.Intermediate);

        var version = Assert.Single(report.Checks, c => c.Name == "version");
        Assert.True(version.Passed);
        Assert.StartsWith("warning: no cert-manager controller Deployment (app.kubernetes.io/name=cert-manager,app.kubernetes.io/component=controller) in cert-manager", version.Detail, StringComparison.Ordinal);
        Assert.True(report.Passed);
    }
}
