using Microsoft.Extensions.Time.Testing;
using Rotation.Core.Authorities;
using Rotation.Core.Authorities.External;
using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Expiry;
using Rotation.Core.Tests.Rotations.Support;
using Rotation.Testing;
using Rotation.Testing.Custody;

namespace Rotation.Core.Tests.Authorities;

/// <summary>Layer classification of certificates Rotation does not manage, and the expiry events a scan of them records.</summary>
public sealed class ExternalScanTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly InMemoryStateStore _store = new();
    private readonly CaService _service;

    // root (10 years) -> mid-tier intermediate (pathLen 1, 400 days) -> issuing CA (pathLen 0, 200 days) -> leaf (24 h)
    private readonly Rotation.Core.Pki.CertificateWithKey _root = TestPki.Root(Now, "CN=Ext Root");
    private readonly Rotation.Core.Pki.CertificateWithKey _mid;
    private readonly Rotation.Core.Pki.CertificateWithKey _issuing;
    private readonly Rotation.Core.Pki.CertificateWithKey _leaf;

    public ExternalScanTests()
    {
        _service = new CaService(_store, new InMemoryKeyCustody(), new FakeTimeProvider(Now));
        _mid = TestPki.Intermediate(_root, Now, "CN=Ext Mid", TimeSpan.FromDays(400), pathLength: 1);
        _issuing = TestPki.Intermediate(_mid, Now, "CN=Ext Issuing", TimeSpan.FromDays(200), pathLength: 0);
        _leaf = TestPki.Leaf(_issuing, Now);
    }

    [Fact]
    public void Each_certificate_gets_its_layer_from_itself_and_from_what_it_signs_in_view()
    {
        var layers = CertificateLayers.Classify([_leaf.Certificate, _issuing.Certificate, _mid.Certificate, _root.Certificate]);

        Assert.Equal(CertificateLayer.Workload, layers[_leaf.Certificate.Sha256]);
        Assert.Equal(CertificateLayer.IssuingCa, layers[_issuing.Certificate.Sha256]);
        Assert.Equal(CertificateLayer.Intermediate, layers[_mid.Certificate.Sha256]);
        Assert.Equal(CertificateLayer.Root, layers[_root.Certificate.Sha256]);
    }

    [Fact]
    public void A_CA_that_signs_no_CA_in_view_is_the_issuing_one_and_pathLen_0_is_always_issuing()
    {
        // The mid-tier CA alone (its child not in view) is taken to be the issuing CA, as in a Linkerd issuer secret.
        Assert.Equal(CertificateLayer.IssuingCa, CertificateLayers.Classify([_mid.Certificate, _root.Certificate])[_mid.Certificate.Sha256]);
        // A root that signs leaves directly (a bootstrap cert-manager CA) is still a root.
        var selfSigning = TestPki.Root(Now, "CN=Bootstrap");
        var leaf = TestPki.Leaf(selfSigning, Now);
        var layers = CertificateLayers.Classify([selfSigning.Certificate, leaf.Certificate]);
        Assert.Equal(CertificateLayer.Root, layers[selfSigning.Certificate.Sha256]);
        Assert.Equal(CertificateLayer.Workload, layers[leaf.Certificate.Sha256]);
    }

    [Fact]
    public async Task Each_layer_is_judged_by_its_own_thresholds_and_only_events_are_recorded()
    {
        // 195 days on: the leaf expired long ago, the issuing CA has ~5 days (critical: under 7), the mid-tier has
        // ~205 days (ok: over 182, and more than a third of its life), the root has years (ok).
        var at = Now + TimeSpan.FromDays(195);
        var found = new[] { _leaf, _issuing, _mid, _root }.Select(c => new FoundCertificate("/etc/mesh/chain.pem", c.Certificate)).ToList();

        var result = await _service.ScanExternalAsync(ExternalScope.Bundle, found, [], at);

        var states = result.Rows.ToDictionary(r => r.Certificate.Subject, r => (r.Layer, r.Assessment.State));
        Assert.Equal((CertificateLayer.Workload, ExpiryState.Expired), states["CN=web"]);
        Assert.Equal((CertificateLayer.IssuingCa, ExpiryState.Critical), states["CN=Ext Issuing"]);
        Assert.Equal((CertificateLayer.Intermediate, ExpiryState.Ok), states["CN=Ext Mid"]);
        Assert.Equal((CertificateLayer.Root, ExpiryState.Ok), states["CN=Ext Root"]);
        Assert.Equal(
            [(EventTypes.CertificateExpired, "workload"), (EventTypes.CertificateNearExpiry, "issuing"), (EventTypes.RotationDue, "issuing")],
            result.Events.Select(e => (e.Type, e.Data.GetProperty("layer").GetString()!)).ToList());
        Assert.All(result.Events, e =>
        {
            Assert.Equal("/rotation/bundles", e.Source);
            Assert.Equal("bundles//etc/mesh/chain.pem", e.Subject);
            Assert.Equal("/etc/mesh/chain.pem", e.Data.GetProperty("object").GetString());
        });
        var outbox = await _store.ReadOutboxAsync();
        Assert.Equal(result.Events.Select(e => e.Id), outbox.Select(o => o.Event.Id));
        Assert.Empty(await _store.ListDomainsAsync());

        // Scanning again the same day adds nothing.
        await _service.ScanExternalAsync(ExternalScope.Bundle, found, [], at + TimeSpan.FromHours(1));
        Assert.Equal(3, (await _store.ReadOutboxAsync()).Count);
    }

    [Fact]
    public async Task A_cluster_scope_names_its_domain_cluster_and_object_and_one_root_in_two_objects_is_two_events()
    {
        var root = TestPki.Root(Now, "CN=Old Root", TimeSpan.FromDays(400));
        var at = Now + TimeSpan.FromDays(300); // ~99 days left: critical for a root (under 182)
        var found = new[] { "secret istio-system/cacerts root-cert.pem", "configmap payments/istio-ca-root-cert root-cert.pem" }
            .Select(l => new FoundCertificate(l, root.Certificate)).ToList();

        var result = await _service.ScanExternalAsync(ExternalScope.OfCluster("prod", "mesh.example.internal"), found, [], at);

        var nearExpiry = result.Events.Where(e => e.Type == EventTypes.CertificateNearExpiry).ToList();
        Assert.Equal(["clusters/prod/secret istio-system/cacerts root-cert.pem", "clusters/prod/configmap payments/istio-ca-root-cert root-cert.pem"], nearExpiry.Select(e => e.Subject));
        Assert.All(nearExpiry, e =>
        {
            Assert.Equal("/rotation/domains/mesh.example.internal/clusters/prod", e.Source);
            Assert.Equal("critical", e.Data.GetProperty("expiryState").GetString());
            Assert.Equal("prod", e.Data.GetProperty("cluster").GetString());
        });
        Assert.NotEqual(nearExpiry[0].Id, nearExpiry[1].Id);
    }

    [Fact]
    public async Task Nothing_to_scan_is_refused_and_records_nothing()
    {
        var refused = await Assert.ThrowsAsync<DomainException>(() => _service.ScanExternalAsync(ExternalScope.Bundle, [], ["secret a/b tls.crt is unreadable: x"], Now));

        Assert.Contains("no certificate could be read: secret a/b", refused.Message);
        Assert.Empty(await _store.ReadOutboxAsync());
    }
}
