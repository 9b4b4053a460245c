using Org.BouncyCastle.Asn1.X509;
using Rotation.Core.Pki;
using Rotation.Drill.OpenSsl;
using Rotation.Drill.Workloads;
using Rotation.Testing;

namespace Rotation.Drill.Tests;

/// <summary>Real openssl s_client / s_server against .NET workloads: they must agree with .NET on every verdict.</summary>
public sealed class OpenSslPeerTests
{
    private readonly OpenSslPeer _openSsl = new();

    [Fact]
    public async Task Openssl_and_dotnet_peers_all_succeed_when_bundles_match()
    {
        await using var fixture = new WorkloadFixture();
        var client = fixture.Workload("cluster-01", "workload-01");
        var server = fixture.Workload("cluster-02", "workload-01");

        var results = await AllCombinationsAsync(client, server);

        Assert.All(results, r => Assert.True(r.Succeeded, $"{r.Client} -> {r.Server}: {r.Detail}"));
        Assert.Equal(3, results.Count(r => r.ViaOpenSsl));
    }

    [Fact]
    public async Task Every_combination_refuses_a_client_from_a_root_the_server_does_not_trust()
    {
        await using var fixture = new WorkloadFixture();
        var both = TrustBundle.Of(fixture.A.Root.Certificate, fixture.B.Root.Certificate);
        var client = fixture.Workload("cluster-01", "workload-01", issuer: fixture.B.Intermediate, bundle: both);
        var server = fixture.Workload("cluster-02", "workload-01");

        var results = await AllCombinationsAsync(client, server);

        Assert.All(results, r => Assert.Equal(HandshakeFailureReason.UnknownAuthority, r.Reason));
    }

    [Fact]
    public async Task Every_combination_refuses_a_server_from_a_root_the_client_does_not_trust()
    {
        await using var fixture = new WorkloadFixture();
        var client = fixture.Workload("cluster-01", "workload-01");
        var both = TrustBundle.Of(fixture.A.Root.Certificate, fixture.B.Root.Certificate);
        var server = fixture.Workload("cluster-02", "workload-01", issuer: fixture.B.Intermediate, bundle: both);

        var results = await AllCombinationsAsync(client, server);

        Assert.All(results, r => Assert.Equal(HandshakeFailureReason.UnknownAuthority, r.Reason));
    }

    [Fact]
    public async Task Every_combination_refuses_a_client_leaf_without_clientAuth()
    {
        await using var fixture = new WorkloadFixture();
        var client = fixture.Workload("cluster-01", "workload-01", credential: w => WorkloadLeaves.WithUsages(w, fixture.A.Intermediate, KeyPurposeID.id_kp_serverAuth));
        var server = fixture.Workload("cluster-02", "workload-01");

        var results = await AllCombinationsAsync(client, server);

        Assert.All(results, r => Assert.Equal(HandshakeFailureReason.ExtendedKeyUsage, r.Reason));
    }

    [Fact]
    public async Task Every_combination_refuses_a_server_with_another_spiffe_identity()
    {
        await using var fixture = new WorkloadFixture();
        var client = fixture.Workload("cluster-01", "workload-01");
        var impostor = fixture.Workload("cluster-02", "workload-01",
            credential: w => WorkloadLeaves.Proper(w, fixture.A.Intermediate, spiffeId: SpiffeId.For(WorkloadFixture.Domain, "cluster-03", "workload-09")));

        var results = await AllCombinationsAsync(client, impostor);

        Assert.All(results, r => Assert.Equal(HandshakeFailureReason.SanMismatch, r.Reason));
    }

    [Fact]
    public async Task Openssl_material_folders_are_gone_after_each_handshake()
    {
        await using var fixture = new WorkloadFixture();
        using var temp = new TempDirectory("rotation-drill-openssl-test");
        var openSsl = new OpenSslPeer(tempRoot: temp.Path);
        var client = fixture.Workload("cluster-01", "workload-01");
        var server = fixture.Workload("cluster-02", "workload-01");

        var result = await openSsl.ClientToServerAsync(client, server);

        Assert.True(result.Succeeded, result.Detail);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp.Path));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_key_file_is_private_to_the_user_and_deleted_before_the_folder()
    {
        await using var fixture = new WorkloadFixture();
        using var temp = new TempDirectory("rotation-drill-openssl-test");
        var workload = fixture.Workload("cluster-01", "workload-01");

        string keyPath;
        using (var material = new OpenSslMaterial(workload, temp.Path))
        {
            keyPath = material.KeyPath;
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyPath));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(keyPath)!));
            Assert.StartsWith(PemLabels.Begin(PemLabels.Pkcs8), File.ReadAllText(keyPath), StringComparison.Ordinal);

            material.DeleteKey();
            Assert.False(File.Exists(keyPath));
            Assert.True(File.Exists(material.BundlePath));
        }

        Assert.False(Directory.Exists(Path.GetDirectoryName(keyPath)));
    }

    /// <summary>.NET → .NET, openssl s_client → .NET, .NET → openssl s_server, s_client → s_server, all with the same material.</summary>
    private async Task<IReadOnlyList<HandshakeResult>> AllCombinationsAsync(SimulatedWorkload client, SimulatedWorkload server) =>
    [
        await client.HandshakeAsync(server),
        await _openSsl.ClientToWorkloadAsync(client, server),
        await _openSsl.WorkloadToServerAsync(client, server),
        await _openSsl.ClientToServerAsync(client, server),
    ];
}
