using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Rotation.Core.Pki;
using Rotation.Infra.Kubernetes.Simulator.Controllers;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Testing;

namespace Rotation.Infra.Kubernetes.Simulator.Tests;

public sealed class CertManagerControllerTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(50);

    private static async Task<JsonElement> CertificateAsync(k8s.Kubernetes client, string ns, string name) =>
        (JsonElement)await client.GetNamespacedCustomObjectAsync("cert-manager.io", "v1", ns, "certificates", name);

    private static string? Condition(JsonElement certificate, string type) =>
        certificate.TryGetProperty("status", out var status) && status.TryGetProperty("conditions", out var conditions)
            ? conditions.EnumerateArray().Where(c => c.GetProperty("type").GetString() == type).Select(c => c.GetProperty("status").GetString()).FirstOrDefault()
            : null;

    private static long Revision(JsonElement certificate) =>
        certificate.TryGetProperty("status", out var status) && status.TryGetProperty("revision", out var revision) ? revision.GetInt64() : 0;

    [Fact]
    public async Task Issues_from_the_ca_secret_and_reissues_only_when_renewal_is_triggered()
    {
        await using var h = await SimulatorHarness.StartAsync();
        var a = TestPki.Hierarchy(Now, name: "A");
        var b = TestPki.Hierarchy(Now, name: "B");
        h.Server.Store.PutCaSecret(CertManagerNames.Namespace, "mesh-ca", a.Intermediate, [a.Root.Certificate], [a.Root.Certificate]);
        h.Server.Store.PutCaIssuer(null, "mesh-ca", "mesh-ca");
        h.Server.Store.PutCertificate("apps", "web", "web-tls", "mesh-ca", "ClusterIssuer", ["web.apps.svc"]);
        await using var certManager = new CertManagerController(h.Server.Store, new MeshControllerOptions { PropagationDelay = Delay });

        certManager.Start();
        await Eventually.TrueAsync(async () => Condition(await CertificateAsync(h.Client, "apps", "web"), "Ready") == "True", "web Ready");

        var secret = await h.Client.ReadNamespacedSecretAsync("web-tls", "apps");
        var chain = Pem.ReadCertificates(Encoding.UTF8.GetString(secret.Data["tls.crt"]));
        var leaf = chain[0];
        Assert.Equal("kubernetes.io/tls", secret.Type);
        Assert.True(leaf.IsSignedBy(a.Intermediate.Certificate));
        // Self-signed roots are left out of an issued tls.crt (cert-manager 2d0d7f7f pkg/util/pki/parse_certificate_chain.go toBundleAndCA).
        Assert.Equal([a.Intermediate.Certificate], chain.Skip(1));
        Assert.Contains("web.apps.svc", leaf.DnsNames);
        Assert.False(leaf.IsCa);
        Assert.True(PrivateKey.FromPem(Encoding.UTF8.GetString(secret.Data["tls.key"])).Matches(leaf));
        Assert.StartsWith(PemLabels.Begin(PemLabels.Pkcs8), Encoding.UTF8.GetString(secret.Data["tls.key"]), StringComparison.Ordinal);
        Assert.Equal(a.Root.Certificate, Assert.Single(Pem.ReadCertificates(Encoding.UTF8.GetString(secret.Data["ca.crt"]))));
        Assert.Equal("web", secret.Metadata.Annotations[CertManagerNames.CertificateNameAnnotation]);
        Assert.Equal(1, Revision(await CertificateAsync(h.Client, "apps", "web")));

        // Swapping the CA secret does not re-issue by itself.
        var passes = certManager.Passes;
        // ca.crt is the new chain's own root: cert-manager signs with tls.crt + certs[0] of ca.crt (2d0d7f7f pkg/util/kube/pki.go).
        h.Server.Store.PutCaSecret(CertManagerNames.Namespace, "mesh-ca", b.Intermediate, [b.Root.Certificate], [b.Root.Certificate]);
        await Eventually.TrueAsync(() => certManager.Passes > passes, "a cert-manager pass after the CA change");
        await Task.Delay(Delay * 3);
        await Eventually.TrueAsync(() => !certManager.IsWaitingToPropagate, "cert-manager settled");
        Assert.Equal(secret.Data["tls.crt"], (await h.Client.ReadNamespacedSecretAsync("web-tls", "apps")).Data["tls.crt"]);

        // What `cmctl renew` does: Issuing=True on the status subresource.
        var renew = new V1Patch("""{"status":{"conditions":[{"type":"Issuing","status":"True","reason":"ManuallyTriggered","message":"Certificate re-issuance manually triggered"}]}}""", V1Patch.PatchType.MergePatch);
        await h.Client.PatchNamespacedCustomObjectStatusAsync(renew, "cert-manager.io", "v1", "apps", "certificates", "web");
        await Eventually.TrueAsync(async () => Revision(await CertificateAsync(h.Client, "apps", "web")) == 2, "revision 2");

        var renewed = await CertificateAsync(h.Client, "apps", "web");
        Assert.Null(Condition(renewed, "Issuing"));
        Assert.Equal("True", Condition(renewed, "Ready"));
        var reissued = await h.Client.ReadNamespacedSecretAsync("web-tls", "apps");
        Assert.True(Pem.ReadCertificates(Encoding.UTF8.GetString(reissued.Data["tls.crt"]))[0].IsSignedBy(b.Intermediate.Certificate));
        // ca.crt of an issued Secret is the root of the built chain (v1.4+, cert-manager PR #3978).
        Assert.Equal(b.Root.Certificate, Assert.Single(Pem.ReadCertificates(Encoding.UTF8.GetString(reissued.Data["ca.crt"]))));
        Assert.Equal(2, certManager.Issuances);
        Assert.Null(certManager.LastError);
    }

    [Fact]
    public async Task Ca_certificates_are_issued_as_intermediates_and_switching_issuer_reissues()
    {
        await using var h = await SimulatorHarness.StartAsync();
        var a = TestPki.Hierarchy(Now, name: "A");
        h.Server.Store.PutCaSecret("linkerd", "trust-anchor", a.Root, [], [a.Root.Certificate]);
        h.Server.Store.PutCaIssuer("linkerd", "trust-anchor", "trust-anchor");
        h.Server.Store.PutCaSecret("linkerd", "other-anchor", a.Intermediate, [a.Root.Certificate], [a.Root.Certificate]);
        h.Server.Store.PutCaIssuer("linkerd", "other-anchor", "other-anchor");
        h.Server.Store.PutCertificate("linkerd", "linkerd-identity-issuer", "linkerd-identity-issuer", "trust-anchor", isCa: true, duration: "48h0m0s");
        await using var certManager = new CertManagerController(h.Server.Store, new MeshControllerOptions { PropagationDelay = Delay });
        certManager.Start();

        await Eventually.TrueAsync(() => h.Server.Store.TryGet(ResourceKinds.Secrets, "linkerd", "linkerd-identity-issuer") is not null, "issuer secret");
        var issued = Pem.ReadCertificates(KubeObjects.SecretText(h.Server.Store.Get(ResourceKinds.Secrets, "linkerd", "linkerd-identity-issuer"), "tls.crt")!)[0];
        Assert.True(issued.IsCa);
        Assert.True(issued.IsSignedBy(a.Root.Certificate));
        Assert.Equal(TimeSpan.FromHours(48), issued.Lifetime);

        Assert.Equal(1, certManager.Issuances);
        var switchIssuer = new V1Patch("""{"spec":{"issuerRef":{"name":"other-anchor"}}}""", V1Patch.PatchType.MergePatch);
        await h.Client.PatchNamespacedCustomObjectAsync(switchIssuer, "cert-manager.io", "v1", "linkerd", "certificates", "linkerd-identity-issuer");
        await Eventually.TrueAsync(
            () => Pem.ReadCertificates(KubeObjects.SecretText(h.Server.Store.Get(ResourceKinds.Secrets, "linkerd", "linkerd-identity-issuer"), "tls.crt")!)[0].IsSignedBy(a.Intermediate.Certificate),
            "re-issued by the new issuer");
    }

    [Fact]
    public async Task Changing_the_dns_names_reissues_the_certificate()
    {
        await using var h = await SimulatorHarness.StartAsync();
        var a = TestPki.Hierarchy(Now, name: "A");
        h.Server.Store.PutCaSecret("apps", "ca", a.Intermediate, [a.Root.Certificate], [a.Root.Certificate]);
        h.Server.Store.PutCaIssuer("apps", "ca", "ca");
        h.Server.Store.PutCertificate("apps", "web", "web-tls", "ca", dnsNames: ["web.apps.svc"]);
        await using var certManager = new CertManagerController(h.Server.Store, new MeshControllerOptions { PropagationDelay = Delay });
        certManager.Start();
        await Eventually.TrueAsync(async () => Revision(await CertificateAsync(h.Client, "apps", "web")) == 1, "first issuance");

        var rename = new V1Patch("""{"spec":{"dnsNames":["web.apps.svc","web.example.internal"]}}""", V1Patch.PatchType.MergePatch);
        await h.Client.PatchNamespacedCustomObjectAsync(rename, "cert-manager.io", "v1", "apps", "certificates", "web");
        await Eventually.TrueAsync(async () => Revision(await CertificateAsync(h.Client, "apps", "web")) == 2, "re-issued for the new names");

        var leaf = Pem.ReadCertificates(KubeObjects.SecretText(h.Server.Store.Get(ResourceKinds.Secrets, "apps", "web-tls"), "tls.crt")!)[0];
        Assert.Equal(["web.apps.svc", "web.example.internal"], leaf.DnsNames.Order(StringComparer.Ordinal));
        await Task.Delay(Delay * 4);
        Assert.Equal(2, certManager.Issuances);
    }

    [Fact]
    public async Task An_issuer_without_its_secret_is_not_ready_and_its_certificates_wait()
    {
        await using var h = await SimulatorHarness.StartAsync();
        h.Server.Store.PutCaIssuer("apps", "ca", "missing-secret");
        h.Server.Store.PutCertificate("apps", "web", "web-tls", "ca");
        await using var certManager = new CertManagerController(h.Server.Store, new MeshControllerOptions { PropagationDelay = Delay });
        certManager.Start();

        await Eventually.TrueAsync(async () => Condition(await CertificateAsync(h.Client, "apps", "web"), "Ready") == "False", "web not ready");

        var issuer = (JsonElement)await h.Client.GetNamespacedCustomObjectAsync("cert-manager.io", "v1", "apps", "issuers", "ca");
        Assert.Equal("False", Condition(issuer, "Ready"));
        Assert.Null(h.Server.Store.TryGet(ResourceKinds.Secrets, "apps", "web-tls"));
    }

    [Fact]
    public async Task Certificates_renew_by_themselves_when_their_renewal_time_comes_on_the_controllers_clock()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
        var store = new KubeObjectStore(clock);
        var a = TestPki.Hierarchy(clock.GetUtcNow(), name: "A");
        store.PutCaSecret("apps", "ca", a.Intermediate, [a.Root.Certificate], [a.Root.Certificate]);
        store.PutCaIssuer("apps", "ca", "ca");
        store.PutCertificate("apps", "web", "web-tls", "ca", duration: "1h");
        await using var certManager = new CertManagerController(store, new MeshControllerOptions { PropagationDelay = TimeSpan.FromSeconds(1), TimeProvider = clock });
        long Revision() => KubeObjects.LongAt(store.Get(ResourceKinds.Certificates, "apps", "web")["status"]?["revision"]);
        async Task AdvanceUntilAsync(Func<bool> condition, string what)
        {
            for (var i = 0; i < 200 && !condition(); i++)
            {
                clock.Advance(TimeSpan.FromSeconds(1));
                await Task.Delay(10);
            }

            Assert.True(condition(), what);
        }

        certManager.Start();
        await AdvanceUntilAsync(() => Revision() == 1, "first issuance");
        var first = KubeObjects.SecretText(store.Get(ResourceKinds.Secrets, "apps", "web-tls"), "tls.crt");
        Assert.Equal(
            KubeObjects.Timestamp(Pem.ReadCertificates(first!)[0].NotBefore + TimeSpan.FromMinutes(40)),
            KubeObjects.StringAt(store.Get(ResourceKinds.Certificates, "apps", "web"), "status", "renewalTime"));

        clock.Advance(TimeSpan.FromMinutes(38));
        await Task.Delay(100);
        clock.Advance(TimeSpan.FromSeconds(2));
        await Task.Delay(100);
        Assert.Equal(1, Revision());

        await AdvanceUntilAsync(() => Revision() == 2, "renewal at two thirds of the lifetime");
        Assert.NotEqual(first, KubeObjects.SecretText(store.Get(ResourceKinds.Secrets, "apps", "web-tls"), "tls.crt"));
        Assert.Null(certManager.LastError);
    }

    [Fact]
    public async Task A_leaf_is_signed_for_its_whole_duration_even_past_the_ca_notAfter()
    {
        // cert-manager 2d0d7f7f: pkg/util/pki/certificatetemplate.go CertificateTemplateOverrideDuration sets
        // notAfter = now + duration and pkg/util/pki/csr.go SignCertificate signs it as is; nothing caps it at the CA's
        // notAfter. The simulator used to cap it, hiding leaves that stop verifying when their CA expires.
        await using var h = await SimulatorHarness.StartAsync();
        var root = TestPki.Root(Now, "CN=Root A");
        var shortCa = TestPki.Intermediate(root, Now, "CN=Short CA", lifetime: TimeSpan.FromDays(10));
        h.Server.Store.PutCaSecret(CertManagerNames.Namespace, "short-ca", shortCa, [root.Certificate], [root.Certificate]);
        h.Server.Store.PutCaIssuer(null, "short-ca", "short-ca");
        h.Server.Store.PutCertificate("apps", "web", "web-tls", "short-ca", "ClusterIssuer", ["web.apps.svc"], duration: "2160h");
        await using var certManager = new CertManagerController(h.Server.Store, new MeshControllerOptions { PropagationDelay = Delay });

        certManager.Start();
        await Eventually.TrueAsync(async () => Condition(await CertificateAsync(h.Client, "apps", "web"), "Ready") == "True", "web Ready");

        var secret = await h.Client.ReadNamespacedSecretAsync("web-tls", "apps");
        var leaf = Pem.ReadCertificates(Encoding.UTF8.GetString(secret.Data["tls.crt"]))[0];
        Assert.True(leaf.NotAfter > shortCa.Certificate.NotAfter + TimeSpan.FromDays(70), $"leaf until {leaf.NotAfter:u}, CA until {shortCa.Certificate.NotAfter:u}");
        Assert.True(leaf.IsSignedBy(shortCa.Certificate));
        Assert.Contains("web.apps.svc", leaf.DnsNames);
        var anchors = TrustBundle.Of(root.Certificate);
        Assert.True(ChainVerifier.Verify(leaf, [shortCa.Certificate], anchors, Now + TimeSpan.FromDays(1)).IsValid);
        Assert.False(ChainVerifier.Verify(leaf, [shortCa.Certificate], anchors, shortCa.Certificate.NotAfter + TimeSpan.FromDays(1)).IsValid);
    }
}
