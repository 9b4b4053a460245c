using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Rotation.Core.Pki;
using Rotation.Drill.Workloads;

namespace Rotation.Drill.OpenSsl;

/// <summary>
/// A real non-.NET peer: `openssl s_server` / `openssl s_client` running with one workload's current material
/// (leaf, key, intermediates, bundle), handshaking with .NET workloads or with each other. OpenSSL validates the
/// chain and EKU itself; the SPIFFE identity is checked here on the certificate OpenSSL printed.
/// </summary>
public sealed class OpenSslPeer
{
    private const string ServerCertificateMarker = "Server certificate";
    private const string ClientCertificateMarker = "Client certificate";

    private readonly string _executable;
    private readonly TimeSpan _timeout;
    private readonly string? _tempRoot;

    /// <param name="tempRoot">Where the short-lived material folders go; the system temp folder when null.</param>
    public OpenSslPeer(string executable = "openssl", TimeSpan? timeout = null, string? tempRoot = null)
    {
        _executable = executable;
        _timeout = timeout ?? TimeSpan.FromSeconds(15);
        _tempRoot = tempRoot;
    }

    public static bool IsAvailable(string executable = "openssl")
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(executable, "version")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
                return false;
            process.WaitForExit(5000);
            return process.HasExited && process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>`openssl s_client` with <paramref name="clientMaterial"/>'s material dials the .NET <paramref name="server"/>.</summary>
    public async Task<HandshakeResult> ClientToWorkloadAsync(SimulatedWorkload clientMaterial, SimulatedWorkload server, CancellationToken cancellationToken = default)
    {
        using var material = new OpenSslMaterial(clientMaterial, _tempRoot);
        var client = Name(clientMaterial);
        var run = await RunClientAsync(material, server.Endpoint, cancellationToken);
        if (run.Rejection is { } own)
            return HandshakeResult.Failure(client, server.Location, own.Reason, $"openssl client refused server: {own.Detail}", viaOpenSsl: true);
        if (run.Answered)
            return CheckIdentity(run.Output, ServerCertificateMarker, server.SpiffeId) is { } san
                ? HandshakeResult.Failure(client, server.Location, san.Reason, $"openssl client refused server: {san.Detail}", viaOpenSsl: true)
                : HandshakeResult.Success(client, server.Location, viaOpenSsl: true);

        var theirs = server.LastRejectionOfLeaf(material.Credential.Certificate.Sha256);
        return theirs is null
            ? HandshakeResult.Failure(client, server.Location, HandshakeFailureReason.Other, $"openssl client got no answer: {LastLine(run.Errors)}", viaOpenSsl: true)
            : HandshakeResult.Failure(client, server.Location, theirs.Reason, $"server refused openssl client: {theirs.Detail}", viaOpenSsl: true);
    }

    /// <summary>The .NET <paramref name="client"/> dials `openssl s_server` running with <paramref name="serverMaterial"/>'s material.</summary>
    public async Task<HandshakeResult> WorkloadToServerAsync(SimulatedWorkload client, SimulatedWorkload serverMaterial, CancellationToken cancellationToken = default)
    {
        using var material = new OpenSslMaterial(serverMaterial, _tempRoot);
        var serverName = Name(serverMaterial);
        using var server = await StartServerAsync(material, cancellationToken);
        var attempt = await client.ConnectAsync(server.Endpoint, serverMaterial.SpiffeId, serverMaterial.DnsName, cancellationToken);
        await server.Process.WaitForExitAsync(_timeout, cancellationToken);

        if (attempt.ClientRejection is { } own)
            return HandshakeResult.Failure(client.Location, serverName, own.Reason, $"client refused openssl server: {own.Detail}", viaOpenSsl: true);
        if (attempt.Succeeded)
            return CheckIdentity(attempt.Response, ClientCertificateMarker, client.SpiffeId) is { } san
                ? HandshakeResult.Failure(client.Location, serverName, san.Reason, $"openssl server got an unexpected client: {san.Detail}", viaOpenSsl: true)
                : HandshakeResult.Success(client.Location, serverName, viaOpenSsl: true);

        var theirs = HandshakeFailureClassifier.FromOpenSslOutput(server.Process.AllOutput);
        return theirs is null
            ? HandshakeResult.Failure(client.Location, serverName, HandshakeFailureReason.Other, attempt.Detail, viaOpenSsl: true)
            : HandshakeResult.Failure(client.Location, serverName, theirs.Reason, $"openssl server refused client: {theirs.Detail}", viaOpenSsl: true);
    }

    /// <summary>`openssl s_client` with one workload's material dials `openssl s_server` with another's.</summary>
    public async Task<HandshakeResult> ClientToServerAsync(SimulatedWorkload clientMaterial, SimulatedWorkload serverMaterial, CancellationToken cancellationToken = default)
    {
        using var clientFiles = new OpenSslMaterial(clientMaterial, _tempRoot);
        using var serverFiles = new OpenSslMaterial(serverMaterial, _tempRoot);
        var (client, serverName) = (Name(clientMaterial), Name(serverMaterial));
        using var server = await StartServerAsync(serverFiles, cancellationToken);
        var run = await RunClientAsync(clientFiles, server.Endpoint, cancellationToken);
        await server.Process.WaitForExitAsync(_timeout, cancellationToken);

        if (run.Rejection is { } own)
            return HandshakeResult.Failure(client, serverName, own.Reason, $"openssl client refused openssl server: {own.Detail}", viaOpenSsl: true);
        if (run.Answered)
        {
            var san = CheckIdentity(run.Output, ServerCertificateMarker, serverMaterial.SpiffeId)
                ?? CheckIdentity(run.Output, ClientCertificateMarker, clientMaterial.SpiffeId);
            return san is null
                ? HandshakeResult.Success(client, serverName, viaOpenSsl: true)
                : HandshakeResult.Failure(client, serverName, san.Reason, san.Detail, viaOpenSsl: true);
        }

        var theirs = HandshakeFailureClassifier.FromOpenSslOutput(server.Process.AllOutput);
        return theirs is null
            ? HandshakeResult.Failure(client, serverName, HandshakeFailureReason.Other, $"openssl client got no answer: {LastLine(run.Errors)}", viaOpenSsl: true)
            : HandshakeResult.Failure(client, serverName, theirs.Reason, $"openssl server refused openssl client: {theirs.Detail}", viaOpenSsl: true);
    }

    private static string Name(SimulatedWorkload workload) => $"openssl:{workload.Location}";

    private async Task<ClientRun> RunClientAsync(OpenSslMaterial material, IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        string[] arguments = ["s_client", "-connect", $"127.0.0.1:{endpoint.Port}", .. material.IdentityArguments, "-ign_eof"];
        using var process = OpenSslProcess.Start(_executable, arguments);
        try
        {
            // With -ign_eof the client sends the request and reads until the server closes.
            await process.WriteInputAndCloseAsync(WorkloadProtocol.Request);
            await process.WaitForExitAsync(_timeout, cancellationToken);
        }
        catch (IOException)
        {
            // openssl exited before reading its input (e.g. it could not start): judged on its output below.
            await process.WaitForExitAsync(_timeout, cancellationToken);
        }
        finally
        {
            material.DeleteKey();
        }

        var output = process.Output;
        var rejection = HandshakeFailureClassifier.FromOpenSslOutput(process.AllOutput);
        return new ClientRun(output.Contains(WorkloadProtocol.ResponseStatus, StringComparison.Ordinal), rejection, output, process.Errors);
    }

    private async Task<RunningServer> StartServerAsync(OpenSslMaterial material, CancellationToken cancellationToken)
    {
        const int attempts = 3;
        for (var attempt = 1; ; attempt++)
        {
            var port = FreeLoopbackPort();
            string[] arguments =
            [
                "s_server", "-accept", $"127.0.0.1:{port}", .. material.IdentityArguments,
                "-Verify", "1", "-naccept", "1", "-www", "-no_ticket",
            ];
            var process = OpenSslProcess.Start(_executable, arguments);
            bool accepting;
            try
            {
                accepting = await process.WaitForOutputAsync("ACCEPT", _timeout, cancellationToken);
            }
            catch
            {
                // Cancelled (a signal stopping the drill) before the server was handed to a caller who disposes it.
                process.Dispose();
                material.DeleteKey();
                throw;
            }

            if (accepting)
            {
                // s_server has loaded the key before it accepts: the file is no longer needed.
                material.DeleteKey();
                return new RunningServer(process, new IPEndPoint(IPAddress.Loopback, port));
            }

            var errors = LastLine(process.Errors);
            process.Dispose();
            if (attempt == attempts)
            {
                material.DeleteKey();
                throw new InvalidOperationException($"openssl s_server did not start on 127.0.0.1:{port}: {errors}");
            }
        }
    }

    private static int FreeLoopbackPort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    /// <summary>Checks the first PEM certificate printed after <paramref name="marker"/> carries <paramref name="expectedId"/>.</summary>
    private static PeerRejection? CheckIdentity(string output, string marker, string expectedId)
    {
        var at = output.IndexOf(marker, StringComparison.Ordinal);
        var begin = at < 0 ? -1 : output.IndexOf("-----BEGIN CERTIFICATE-----", at, StringComparison.Ordinal);
        const string endMarker = "-----END CERTIFICATE-----";
        var end = begin < 0 ? -1 : output.IndexOf(endMarker, begin, StringComparison.Ordinal);
        if (end < 0)
            return new PeerRejection(HandshakeFailureReason.Other, $"openssl printed no '{marker}' to check the peer identity on");

        var certificate = Certificate.FromPem(output[begin..(end + endMarker.Length)]);
        return certificate.UriNames.Contains(expectedId, StringComparer.Ordinal)
            ? null
            : new PeerRejection(HandshakeFailureReason.SanMismatch, $"expected {expectedId}, got [{string.Join(", ", certificate.UriNames)}]");
    }

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "no output";

    private sealed record ClientRun(bool Answered, PeerRejection? Rejection, string Output, string Errors);

    private sealed class RunningServer(OpenSslProcess process, IPEndPoint endpoint) : IDisposable
    {
        public OpenSslProcess Process { get; } = process;
        public IPEndPoint Endpoint { get; } = endpoint;
        public void Dispose() => Process.Dispose();
    }
}
