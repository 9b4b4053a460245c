using System.Diagnostics;
using System.Text;

namespace Rotation.Infra.Files.Tests.Support;

/// <summary>
/// <c>openssl s_server -Verify -verify_return_error</c>: a TLS-only peer that requires a client certificate chaining
/// to its CA file and aborts the handshake with an alert otherwise (without -verify_return_error s_server only logs a
/// failed verification and carries on). Killed on dispose.
/// </summary>
public sealed class OpenSslServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private OpenSslServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    public static async Task<OpenSslServer> StartAsync(string serverCert, string serverKey, string caFile, string protocol)
    {
        var port = FreePort.Next();
        var start = new ProcessStartInfo("openssl") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var argument in new[] { "s_server", "-accept", $"127.0.0.1:{port}", "-cert", serverCert, "-key", serverKey, "-CAfile", caFile, "-Verify", "2", "-verify_return_error", protocol, "-no_ticket", "-quiet" })
            start.ArgumentList.Add(argument);
        var process = Process.Start(start)!;
        var server = new OpenSslServer(process, port);
        process.OutputDataReceived += (_, e) => { lock (server._output) server._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (server._output) server._output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < until)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"openssl s_server exited {process.ExitCode}: {server.Output}");
            try
            {
                using var tcp = new System.Net.Sockets.TcpClient();
                await tcp.ConnectAsync("127.0.0.1", port);
                return server;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new InvalidOperationException($"openssl s_server did not listen on {port}: {server.Output}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
