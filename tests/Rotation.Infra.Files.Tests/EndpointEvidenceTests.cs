using System.Runtime.Versioning;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Evidence;
using Rotation.Infra.Files.Endpoints;
using Rotation.Infra.Files.Tests.Support;

namespace Rotation.Infra.Files.Tests;

/// <summary>Endpoint evidence against a real TLS-only peer (openssl s_server -Verify) and against nothing at all.</summary>
[SupportedOSPlatform("linux")]
public sealed class EndpointEvidenceTests : IDisposable
{
    private readonly TempDirectory _dir = new("rotation-endpoints");
    private readonly TestHierarchy _a = TestPki.Hierarchy(DateTimeOffset.UtcNow, name: "A");
    private readonly TestHierarchy _b = TestPki.Hierarchy(DateTimeOffset.UtcNow, name: "B");

    public void Dispose() => _dir.Dispose();

    private IProbeIssuers Issuers => new FixedIssuers(
        new ProbeIssuer(Ca("root-a", _a.Root, CaRole.Root), Ca("int-a", _a.Intermediate, CaRole.Intermediate), _a.Intermediate),
        new ProbeIssuer(Ca("root-b", _b.Root, CaRole.Root), Ca("int-b", _b.Intermediate, CaRole.Intermediate, CaStatus.Prepared), _b.Intermediate));

    private async Task<OpenSslServer> ServerTrustingAsync(TestHierarchy servedBy, string protocol, params TestHierarchy[] trusted)
    {
        var leaf = servedBy.Leaf("localhost");
        var cert = _dir.Write($"server-{Guid.NewGuid():N}.pem", leaf.Certificate.ToPem() + servedBy.Intermediate.Certificate.ToPem());
        var key = _dir.File($"server-{Guid.NewGuid():N}.key");
        await AtomicFile.WriteAsync(key, leaf.Key.ToPkcs8Pem(), AtomicFile.Private, CancellationToken.None);
        var ca = _dir.Write($"ca-{Guid.NewGuid():N}.pem", string.Concat(trusted.Select(t => t.Root.Certificate.ToPem())));
        return await OpenSslServer.StartAsync(cert, key, ca, protocol);
    }

    private EndpointEvidenceTarget Target(int port, LeafEvidenceMode mode = LeafEvidenceMode.Time) =>
        (EndpointEvidenceTarget)EndpointEvidenceTarget.Wrap(new NoStores(), new EndpointEvidenceOptions([EndpointAddress.Parse($"127.0.0.1:{port}")], mode), Issuers, TestPki.TrustDomain);

    [Theory]
    [InlineData("-tls1_3")]
    [InlineData("-tls1_2")]
    public async Task A_TLS_endpoint_holds_exactly_the_roots_whose_throwaway_leaf_it_accepts(string protocol)
    {
        await using var server = await ServerTrustingAsync(_a, protocol, _a);

        var report = await Target(server.Port).ReportTrustAsync();

        var store = report.Stores.Single();
        Assert.Equal([_a.Root.Certificate.Sha256], store.Sha256Fingerprints);
        Assert.Contains("root-b refused: TLS alert", store.Location, StringComparison.Ordinal);
        Assert.Contains("unknown ca", store.Location, StringComparison.Ordinal);

        var verdict = TrustEvidence.Evaluate([TargetResult.Ok("vm1/files", report)], [_a.Root.Certificate.Sha256, _b.Root.Certificate.Sha256], [], fp => fp[..8]);
        Assert.False(verdict.Satisfied);
        Assert.Contains($"127.0.0.1:{server.Port}", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_endpoint_that_trusts_both_roots_satisfies_the_trust_gate()
    {
        await using var server = await ServerTrustingAsync(_a, "-tls1_3", _a, _b);

        var report = await Target(server.Port).ReportTrustAsync();

        Assert.Equal(new[] { _a.Root.Certificate.Sha256, _b.Root.Certificate.Sha256 }.Order(), report.Stores.Single().Sha256Fingerprints.Order());
        Assert.True(TrustEvidence.Evaluate([TargetResult.Ok("vm1/files", report)], [_a.Root.Certificate.Sha256, _b.Root.Certificate.Sha256], [], fp => fp).Satisfied);
    }

    [Fact]
    public async Task An_unreachable_endpoint_makes_the_target_unavailable_with_its_name_and_the_socket_error()
    {
        var port = FreePort.Next();

        var error = await Assert.ThrowsAsync<TargetUnavailableException>(() => Target(port).ReportTrustAsync());

        Assert.Contains($"endpoint 127.0.0.1:{port} unreachable", error.Reason, StringComparison.Ordinal);
        Assert.Contains("ConnectionRefused", error.Reason, StringComparison.Ordinal);
        await Assert.ThrowsAsync<TargetUnavailableException>(() => Target(port).ReportLeavesAsync());
    }

    [Fact]
    public async Task The_leaf_gate_reads_the_chain_the_endpoint_serves()
    {
        await using (var old = await ServerTrustingAsync(_a, "-tls1_3", _a, _b))
        {
            var leaves = await Target(old.Port, LeafEvidenceMode.Endpoints).ReportLeavesAsync();
            Assert.True(leaves.Observable);
            Assert.True(leaves.Leaves.Single().Leaf.IsSignedBy(_a.Intermediate.Certificate));
            var verdict = LeafEvidence.Evaluate([TargetResult.Ok("vm1/files", leaves)], _b.Intermediate.Certificate, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, new RotationPolicy());
            Assert.False(verdict.Satisfied);
            Assert.Contains($"endpoint 127.0.0.1:{old.Port}", verdict.Reason, StringComparison.Ordinal);
        }

        await using var renewed = await ServerTrustingAsync(_b, "-tls1_3", _a, _b);
        var after = await Target(renewed.Port, LeafEvidenceMode.Endpoints).ReportLeavesAsync();
        Assert.True(LeafEvidence.Evaluate([TargetResult.Ok("vm1/files", after)], _b.Intermediate.Certificate, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, new RotationPolicy()).Satisfied);

        // In the default mode the target's own rule decides, and the served chain is still shown (for the engine's drop-root refusal).
        var timeMode = await Target(renewed.Port).ReportLeavesAsync();
        Assert.False(timeMode.Observable);
        Assert.Single(timeMode.Leaves);
    }

    [Theory]
    [InlineData("127.0.0.1", "no port")]
    [InlineData("127.0.0.1:99999", "port '99999'")]
    [InlineData("ftp://h:21", "only host:port")]
    public void Bad_endpoints_are_refused_with_one_line(string text, string expected)
    {
        var error = Assert.Throws<DomainException>(() => EndpointAddress.Parse(text));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Endpoints_parse_in_both_spellings()
    {
        Assert.Equal(new EndpointAddress("127.0.0.1", 8443, null), EndpointAddress.Parse("127.0.0.1:8443"));
        Assert.Equal(new EndpointAddress("vm1.internal", 443, "/healthz"), EndpointAddress.Parse("https://vm1.internal:443/healthz"));
        Assert.Equal("https://[::1]:8443/", EndpointAddress.Parse("https://[::1]:8443").ToString());
    }

    private static CertificateAuthority Ca(string id, CertificateWithKey ca, CaRole role, CaStatus status = CaStatus.Active) =>
        new(id, TestPki.TrustDomain, role, status, null, ca.Certificate, new KeyReference("test", id));

    private sealed class FixedIssuers(params ProbeIssuer[] issuers) : IProbeIssuers
    {
        public Task<IReadOnlyList<ProbeIssuer>> LoadAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<ProbeIssuer>>(issuers);
    }

    /// <summary>A target with nothing of its own to show, so what is reported is the endpoint evidence alone.</summary>
    private sealed class NoStores : IRotationTarget
    {
        public string Name => "vm1/files";
        public Task<PreflightReport> PreflightAsync(RotationKind kind, CancellationToken cancellationToken = default) => Task.FromResult(new PreflightReport(Name, []));
        public Task ApplyTrustBundleAsync(TrustBundle bundle, RotationWriteContext context, CancellationToken cancellationToken = default) => Task.CompletedTask;
        public Task ApplyIssuerAsync(IssuerMaterial issuer, RotationWriteContext context, CancellationToken cancellationToken = default) => Task.CompletedTask;
        public Task<TrustReport> ReportTrustAsync(CancellationToken cancellationToken = default) => Task.FromResult(new TrustReport(Name, []));
        public Task<LeafReport> ReportLeavesAsync(CancellationToken cancellationToken = default) => Task.FromResult(new LeafReport(Name, false, [], "nothing of its own"));

        public Task<TargetContent> ReadContentAsync(CancellationToken cancellationToken = default) => Task.FromResult(new TargetContent(Name, [], null));
    }
}
