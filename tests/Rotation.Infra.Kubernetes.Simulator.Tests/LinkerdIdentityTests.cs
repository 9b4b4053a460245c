using Rotation.Core.Pki;
using Rotation.Infra.Kubernetes.Simulator.Controllers;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Testing;

namespace Rotation.Infra.Kubernetes.Simulator.Tests;

/// <summary>
/// The identity controller as linkerd/linkerd2 b24cd4059841f8cee2fb7a9c2ac23a693c583579 runs it: anchors read once at
/// start (controller/cmd/identity/main.go), every issuer verified against them (pkg/identity/service.go
/// loadCredentials), IssuerUpdated / IssuerUpdateSkipped events per reload (Service.Run), fatal on a bad start issuer.
/// </summary>
public sealed class LinkerdIdentityTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task Identity_validates_against_its_start_anchors_emits_events_and_crash_loops_on_a_bad_start_issuer()
    {
        await using var h = await SimulatorHarness.StartAsync();
        var store = h.Server.Store;
        var rootA = TestPki.Root(Now, "CN=Root A");
        var rootB = TestPki.Root(Now, "CN=Root B");
        var issuerA = TestPki.Intermediate(rootA, Now, "CN=Issuer A");
        var issuerB = TestPki.Intermediate(rootB, Now, "CN=Issuer B");
        store.SeedLinkerdControlPlane(identityReplicas: 2);
        store.SeedLinkerd([rootA.Certificate], issuerA);
        await using var linkerd = new LinkerdController(store, new MeshControllerOptions { PropagationDelay = Delay });
        linkerd.Start();
        await Eventually.TrueAsync(() => issuerA.Certificate.Equals(linkerd.LoadedIssuer?.Ca.Certificate), "issuer A loaded");

        // The ConfigMap gains root B, but identity keeps the anchors it started with: issuer B is skipped.
        store.PutConfigMap(LinkerdNames.Namespace, LinkerdNames.TrustRootsConfigMap, new Dictionary<string, string> { [LinkerdNames.TrustRootsKey] = Pem.WriteCertificates([rootA.Certificate, rootB.Certificate]) });
        PutIssuer(store, issuerB);
        await Eventually.TrueAsync(() => Events(store, "IssuerUpdateSkipped") == 2, "IssuerUpdateSkipped on both replicas");
        Assert.Equal(issuerA.Certificate, linkerd.LoadedIssuer?.Ca.Certificate);

        // A restart re-reads the anchors: issuer B now loads.
        Restart(store);
        await Eventually.TrueAsync(() => issuerB.Certificate.Equals(linkerd.LoadedIssuer?.Ca.Certificate), "issuer B loaded after restart");

        // Removing root B and restarting: the start issuer no longer verifies: fatal, nothing signs.
        store.PutConfigMap(LinkerdNames.Namespace, LinkerdNames.TrustRootsConfigMap, new Dictionary<string, string> { [LinkerdNames.TrustRootsKey] = rootA.Certificate.ToPem() });
        Restart(store);
        await Eventually.TrueAsync(() => linkerd.IdentityCrashLooping, "identity crash-looping");
        Assert.Null(linkerd.LoadedIssuer);

        store.PutConfigMap(LinkerdNames.Namespace, LinkerdNames.TrustRootsConfigMap, new Dictionary<string, string> { [LinkerdNames.TrustRootsKey] = rootB.Certificate.ToPem() });
        Restart(store);
        await Eventually.TrueAsync(() => !linkerd.IdentityCrashLooping && issuerB.Certificate.Equals(linkerd.LoadedIssuer?.Ca.Certificate), "identity back");
        PutIssuer(store, TestPki.Intermediate(rootB, Now, "CN=Issuer B2"));
        await Eventually.TrueAsync(() => Events(store, "IssuerUpdated") == 2, "IssuerUpdated on both replicas");
    }

    private static void PutIssuer(KubeObjectStore store, CertificateWithKey issuer) =>
        store.PutSecret(LinkerdNames.Namespace, LinkerdNames.IssuerSecret, new Dictionary<string, string>
        {
            ["tls.crt"] = issuer.Certificate.ToPem(),
            ["tls.key"] = issuer.Key.ToPkcs8Pem(),
        }, "kubernetes.io/tls");

    private static void Restart(KubeObjectStore store) =>
        store.Modify(ResourceKinds.Deployments, LinkerdNames.Namespace, "linkerd-identity", d =>
        {
            d["spec"]!["template"]!["metadata"]!["annotations"] = new System.Text.Json.Nodes.JsonObject { ["kubectl.kubernetes.io/restartedAt"] = Guid.NewGuid().ToString() };
            return d;
        }, WriteScope.All);

    private static int Events(KubeObjectStore store, string reason) =>
        store.List(ResourceKinds.Events, LinkerdNames.Namespace).Items.Count(e => KubeObjects.StringAt(e, "reason") == reason);
}
