using Org.BouncyCastle.Asn1.X509;
using Rotation.Core.Pki;
using Rotation.Drill.Workloads;

namespace Rotation.Drill.Tests;

public sealed class WorkloadHandshakeTests
{
    [Fact]
    public async Task Workloads_with_matching_bundles_complete_mutual_tls_and_the_request()
    {
        await using var fixture = new WorkloadFixture();
        var client = fixture.Workload("cluster-01", "workload-01");
        var server = fixture.Workload("cluster-02", "workload-01");

        var result = await client.HandshakeAsync(server);

        Assert.True(result.Succeeded, result.Detail);
        Assert.Equal(1, server.Served);
    }

    [Fact]
    public async Task Server_refuses_a_client_whose_leaf_chains_to_a_root_missing_from_its_bundle()
    {
        await using var fixture = new WorkloadFixture();
        var both = TrustBundle.Of(fixture.A.Root.Certificate, fixture.B.Root.Certificate);
        var client = fixture.Workload("cluster-01", "workload-01", issuer: fixture.B.Intermediate, bundle: both);
        var server = fixture.Workload("cluster-02", "workload-01");

        var result = await client.HandshakeAsync(server);

        Assert.False(result.Succeeded);
        Assert.Equal(HandshakeFailureReason.UnknownAuthority, result.Reason);
        Assert.Contains("server refused client", result.Detail, StringComparison.Ordinal);
        Assert.Equal(0, server.Served);
    }

    [Fact]
    public async Task Client_refuses_a_server_whose_leaf_chains_to_a_root_missing_from_its_bundle()
    {
        await using var fixture = new WorkloadFixture();
        var client = fixture.Workload("cluster-01", "workload-01");
        var server = fixture.Workload("cluster-02", "workload-01", issuer: fixture.B.Intermediate);

        var result = await client.HandshakeAsync(server);

        Assert.False(result.Succeeded);
        Assert.Equal(HandshakeFailureReason.UnknownAuthority, result.Reason);
        Assert.Contains("client refused server", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_refuses_a_client_leaf_without_clientAuth()
    {
        await using var fixture = new WorkloadFixture();
        var client = fixture.Workload("cluster-01", "workload-01", credential: w => WorkloadLeaves.WithUsages(w, fixture.A.Intermediate, KeyPurposeID.id_kp_serverAuth));
        var server = fixture.Workload("cluster-02", "workload-01");

        var result = await client.HandshakeAsync(server);

        Assert.False(result.Succeeded);
        Assert.Equal(HandshakeFailureReason.ExtendedKeyUsage, result.Reason);
        Assert.Contains("server refused client", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_refuses_a_server_leaf_without_serverAuth()
    {
        await using var fixture = new WorkloadFixture();
        var client = fixture.Workload("cluster-01", "workload-01");
        var server = fixture.Workload("cluster-02", "workload-01", credential: w => WorkloadLeaves.WithUsages(w, fixture.A.Intermediate, KeyPurposeID.id_kp_clientAuth));

        var result = await client.HandshakeAsync(server);

        Assert.False(result.Succeeded);
        Assert.Equal(HandshakeFailureReason.ExtendedKeyUsage, result.Reason);
        Assert.Contains("client refused server", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_refuses_a_server_presenting_another_spiffe_identity()
    {
        await using var fixture = new WorkloadFixture();
        var client = fixture.Workload("cluster-01", "workload-01");
        var impostor = fixture.Workload("cluster-02", "workload-01",
            credential: w => WorkloadLeaves.Proper(w, fixture.A.Intermediate, spiffeId: SpiffeId.For(WorkloadFixture.Domain, "cluster-03", "workload-09")));

        var result = await client.HandshakeAsync(impostor);

        Assert.False(result.Succeeded);
        Assert.Equal(HandshakeFailureReason.SanMismatch, result.Reason);
        Assert.Contains("cluster-03/sa/workload-09", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_refuses_a_client_identity_outside_the_estate()
    {
        await using var fixture = new WorkloadFixture();
        var stranger = fixture.Workload("cluster-01", "workload-01",
            credential: w => WorkloadLeaves.Proper(w, fixture.A.Intermediate, spiffeId: "spiffe://other.example/ns/x/sa/y"));
        var server = fixture.Workload("cluster-02", "workload-01");

        var result = await stranger.HandshakeAsync(server);

        Assert.False(result.Succeeded);
        Assert.Equal(HandshakeFailureReason.SanMismatch, result.Reason);
        Assert.Contains("server refused client", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expired_server_leaf_is_refused_as_expired()
    {
        await using var fixture = new WorkloadFixture();
        var client = fixture.Workload("cluster-01", "workload-01");
        var server = fixture.Workload("cluster-02", "workload-01", credential: w =>
        {
            var now = DateTimeOffset.UtcNow;
            var key = PrivateKey.Generate(KeyAlgorithm.EcdsaP256);
            var request = new LeafRequest($"CN={w.DnsName}", now.AddMinutes(-50), now.AddMinutes(-10), [w.DnsName], [w.SpiffeId]);
            return new WorkloadCredential(new CertificateWithKey(CertificateFactory.IssueLeaf(request, key, fixture.A.Intermediate), key), [fixture.A.Intermediate.Certificate]);
        });

        var result = await client.HandshakeAsync(server);

        Assert.False(result.Succeeded);
        Assert.Equal(HandshakeFailureReason.Expired, result.Reason);
    }

    [Fact]
    public async Task A_late_older_bundle_push_does_not_overwrite_a_newer_one()
    {
        await using var fixture = new WorkloadFixture();
        var workload = fixture.Workload("cluster-01", "workload-01");
        var both = TrustBundle.Of(fixture.A.Root.Certificate, fixture.B.Root.Certificate);

        Assert.True(workload.UseTrustBundle(both, 3));
        Assert.False(workload.UseTrustBundle(fixture.A.Bundle, 2));

        Assert.True(workload.TrustStore.Bundle.SetEquals(both));
    }
}
