using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Rotation.Core.Pki;

namespace Rotation.Drill.Workloads;

/// <summary>
/// One mesh workload as a real mTLS endpoint on 127.0.0.1: it serves with its current leaf and dials other
/// workloads with it, and judges every peer against its own currently loaded bundle only. Its cluster swaps the
/// leaf and the bundle underneath it; each connection uses the material current when it started.
/// </summary>
public sealed class SimulatedWorkload : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly PeerAuthorization _authorization;
    private readonly TimeSpan _ioTimeout;
    private readonly RejectionLog _rejections = new();
    private readonly Lock _trustLock = new();
    private WorkloadCredential? _credential;
    private WorkloadTrustStore _trust;
    private Task _acceptLoop = Task.CompletedTask;
    private long _served;

    public SimulatedWorkload(string trustDomain, string cluster, string name, PeerAuthorization authorization, TimeSpan? ioTimeout = null)
    {
        Cluster = cluster;
        Name = name;
        SpiffeId = Workloads.SpiffeId.For(trustDomain, cluster, name);
        DnsName = Workloads.SpiffeId.DnsNameFor(cluster, name);
        _authorization = authorization;
        _ioTimeout = ioTimeout ?? TimeSpan.FromSeconds(15);
        _trust = new WorkloadTrustStore(TrustBundle.Empty, 0);
    }

    public string Cluster { get; }
    public string Name { get; }
    public string Location => $"{Cluster}/{Name}";
    public string SpiffeId { get; }
    public string DnsName { get; }
    public IPEndPoint Endpoint => (IPEndPoint)_listener.LocalEndpoint;

    public WorkloadCredential? Credential => Volatile.Read(ref _credential);
    public WorkloadTrustStore TrustStore => Volatile.Read(ref _trust);

    /// <summary>Handshakes this workload completed as a server (request answered).</summary>
    public long Served => Interlocked.Read(ref _served);

    public void Start()
    {
        _listener.Start(backlog: 256);
        _acceptLoop = AcceptLoopAsync();
    }

    public void UseCredential(WorkloadCredential credential) => Volatile.Write(ref _credential, credential);

    /// <summary>Loads <paramref name="bundle"/> unless a newer push (higher generation) already arrived. Returns whether it was loaded.</summary>
    public bool UseTrustBundle(TrustBundle bundle, long generation)
    {
        lock (_trustLock)
        {
            if (generation <= _trust.Generation)
                return false;
            Volatile.Write(ref _trust, new WorkloadTrustStore(bundle, generation));
            return true;
        }
    }

    /// <summary>Dials <paramref name="server"/>: new connection, mutual TLS 1.3 handshake, one request/response.</summary>
    public async Task<HandshakeResult> HandshakeAsync(SimulatedWorkload server, CancellationToken cancellationToken = default)
    {
        var attempt = await ConnectAsync(server.Endpoint, server.SpiffeId, server.DnsName, cancellationToken);
        if (attempt.Succeeded)
            return HandshakeResult.Success(Location, server.Location);
        if (attempt.ClientRejection is { } own)
            return HandshakeResult.Failure(Location, server.Location, own.Reason, $"client refused server: {own.Detail}");
        if (server.TakeRejection(attempt.LocalPort) is { } theirs)
            return HandshakeResult.Failure(Location, server.Location, theirs.Reason, $"server refused client: {theirs.Detail}");
        return HandshakeResult.Failure(Location, server.Location, HandshakeFailureReason.Other, attempt.Detail);
    }

    /// <summary>The client half, against any server (a workload or an openssl s_server).</summary>
    public async Task<TlsClientAttempt> ConnectAsync(IPEndPoint endpoint, string expectedServerId, string targetHost, CancellationToken cancellationToken = default)
    {
        var credential = Credential ?? throw new InvalidOperationException($"workload {Location} has no leaf yet");
        var trust = TrustStore;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_ioTimeout);
        using var tcp = new TcpClient(AddressFamily.InterNetwork);
        var localPort = 0;
        PeerRejection? rejection = null;
        try
        {
            await tcp.ConnectAsync(endpoint, timeout.Token);
            localPort = ((IPEndPoint)tcp.Client.LocalEndPoint!).Port;
            await using var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = targetHost,
                ClientCertificateContext = credential.Context,
                EnabledSslProtocols = SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                CertificateChainPolicy = PeerValidator.CreatePolicy(trust, TlsPurpose.Server),
                // A resumed session would skip certificate validation and hide exactly what the drill looks for.
                AllowTlsResume = false,
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                {
                    rejection = PeerValidator.Check(certificate, chain, errors, uris => uris.Contains(expectedServerId, StringComparer.Ordinal));
                    return rejection is null;
                },
            };
            await ssl.AuthenticateAsClientAsync(options, timeout.Token);
            await ssl.WriteAsync(WorkloadProtocol.RequestBytes, timeout.Token);
            await ssl.FlushAsync(timeout.Token);
            var response = await WorkloadProtocol.ReadResponseAsync(ssl, timeout.Token);
            return WorkloadProtocol.IsSuccessResponse(response)
                ? new TlsClientAttempt(true, null, "ok", localPort, response)
                : new TlsClientAttempt(false, null, "the server closed the connection without answering", localPort, response);
        }
        catch (Exception e) when (IsConnectionFailure(e) && !cancellationToken.IsCancellationRequested)
        {
            return new TlsClientAttempt(false, rejection, OneLine(e), localPort, string.Empty);
        }
    }

    /// <summary>Why this workload, as a server, refused the client that connected from <paramref name="clientPort"/>.</summary>
    public PeerRejection? TakeRejection(int clientPort) => _rejections.Take(clientPort);

    /// <summary>The last refusal of a client presenting the leaf with this SHA-256 (for clients whose port is unknown, like openssl s_client).</summary>
    public PeerRejection? LastRejectionOfLeaf(string leafSha256) => _rejections.LastOfLeaf(leafSha256);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stopping.IsCancellationRequested)
                    break;
                continue;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var credential = Credential;
        if (credential is null)
            return;
        var trust = TrustStore;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(_ioTimeout);
        try
        {
            var clientPort = ((IPEndPoint)client.Client.RemoteEndPoint!).Port;
            await using var ssl = new SslStream(client.GetStream(), leaveInnerStreamOpen: false);
            var options = new SslServerAuthenticationOptions
            {
                ServerCertificateContext = credential.Context,
                ClientCertificateRequired = true,
                EnabledSslProtocols = SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                CertificateChainPolicy = PeerValidator.CreatePolicy(trust, TlsPurpose.Client),
                AllowTlsResume = false,
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                {
                    var rejection = PeerValidator.Check(certificate, chain, errors, _authorization.Allows);
                    if (rejection is not null)
                        _rejections.Remember(clientPort, certificate, rejection);
                    return rejection is null;
                },
            };
            await ssl.AuthenticateAsServerAsync(options, timeout.Token);
            await WorkloadProtocol.ReadRequestAsync(ssl, timeout.Token);
            await ssl.WriteAsync(WorkloadProtocol.ResponseFor(SpiffeId), timeout.Token);
            await ssl.FlushAsync(timeout.Token);
            await ssl.ShutdownAsync();
            Interlocked.Increment(ref _served);
        }
        catch (Exception e) when (IsConnectionFailure(e) || e is ObjectDisposedException)
        {
            // The client side reports the failure; a server only remembers why it refused.
        }
    }

    private static bool IsConnectionFailure(Exception e) =>
        e is AuthenticationException or IOException or SocketException or OperationCanceledException;

    private static string OneLine(Exception e)
    {
        var message = e.InnerException is null ? e.Message : $"{e.Message} ({e.InnerException.Message})";
        return message.ReplaceLineEndings(" ");
    }
}
