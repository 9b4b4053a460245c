using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Rotation.Core.Pki;
using Rotation.Testing;

namespace Rotation.Core.Tests.Pki;

public sealed class CertificateWithKeyTests
{
    public static TheoryData<KeyAlgorithm> Algorithms => new(KeyAlgorithm.EcdsaP256, KeyAlgorithm.EcdsaP384, KeyAlgorithm.Rsa2048);

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task Mutual_tls_handshake_on_loopback_succeeds_with_our_certificates(KeyAlgorithm algorithm)
    {
        var now = DateTimeOffset.UtcNow;
        var pki = TestPki.Hierarchy(now, algorithm);
        var server = pki.Leaf("server", algorithm: algorithm);
        var client = pki.Leaf("client", algorithm: algorithm);

        var (serverSawClient, clientSawServer) = await HandshakeAsync(pki, server, client);

        Assert.Equal(client.Certificate.Sha256, serverSawClient);
        Assert.Equal(server.Certificate.Sha256, clientSawServer);
    }

    [Fact]
    public async Task Handshake_fails_when_the_client_does_not_trust_the_servers_root()
    {
        var now = DateTimeOffset.UtcNow;
        var pki = TestPki.Hierarchy(now);
        var stranger = TestPki.Hierarchy(now, name: "B");

        await Assert.ThrowsAnyAsync<AuthenticationException>(() => HandshakeAsync(stranger, pki.Leaf("server"), stranger.Leaf("client")));
    }

    [Fact]
    public void Exported_identity_has_a_private_key()
    {
        var pki = TestPki.Hierarchy(DateTimeOffset.UtcNow);
        var leaf = pki.Leaf();

        using var x509 = leaf.ToX509Certificate2WithKey();

        Assert.True(x509.HasPrivateKey);
        Assert.Equal(leaf.Certificate.Der.ToArray(), x509.RawData);
    }

    /// <summary>Server presents server+intermediate and trusts <paramref name="trust"/>'s root; the client likewise.</summary>
    private static async Task<(string ServerSawClient, string ClientSawServer)> HandshakeAsync(TestHierarchy trust, CertificateWithKey server, CertificateWithKey client)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var serverCert = server.ToX509Certificate2WithKey();
        using var clientCert = client.ToX509Certificate2WithKey();
        using var root = trust.Root.Certificate.ToX509Certificate2();
        using var intermediate = trust.Intermediate.Certificate.ToX509Certificate2();

        string? serverSaw = null;
        var serverTask = Task.Run(async () =>
        {
            using var socket = await listener.AcceptTcpClientAsync(cts.Token);
            await using var tls = new SslStream(socket.GetStream());
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = SslStreamCertificateContext.Create(serverCert, [intermediate], offline: true),
                ClientCertificateRequired = true,
                CertificateChainPolicy = TrustOnly(root),
                RemoteCertificateValidationCallback = (_, _, _, errors) => errors == SslPolicyErrors.None,
            }, cts.Token);
            serverSaw = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(tls.RemoteCertificate!.GetRawCertData()));
            await tls.WriteAsync(new byte[] { 42 }, cts.Token);
        }, cts.Token);

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, cts.Token);
        await using var clientTls = new SslStream(tcp.GetStream());
        await clientTls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ClientCertificateContext = SslStreamCertificateContext.Create(clientCert, [intermediate], offline: true),
            CertificateChainPolicy = TrustOnly(root),
            RemoteCertificateValidationCallback = (_, _, _, errors) => errors == SslPolicyErrors.None,
        }, cts.Token);
        var buffer = new byte[1];
        _ = await clientTls.ReadAsync(buffer, cts.Token);
        await serverTask;
        Assert.Equal(42, buffer[0]);
        var clientSaw = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(clientTls.RemoteCertificate!.GetRawCertData()));
        return (serverSaw!, clientSaw);
    }

    private static X509ChainPolicy TrustOnly(X509Certificate2 root)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.Add(root);
        return policy;
    }
}
