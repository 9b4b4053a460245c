using System.Diagnostics;
using System.Net.Sockets;

namespace Rotation.Infra.Files.Tests.Support;

/// <summary>
/// A real nginx (Debian's) as a non-daemon child with its own prefix, config, pid and logs in a temp directory,
/// listening on a free loopback port with <c>ssl_verify_client on</c>: client certificates must chain to a root in
/// <see cref="ClientCaPath"/> (the files target's bundle). Killed with its workers on dispose.
/// </summary>
public sealed class Nginx : IAsyncDisposable
{
    private readonly Process _process;

    private Nginx(string prefix, int port, string clientCaPath, Process process)
    {
        Prefix = prefix;
        Port = port;
        ClientCaPath = clientCaPath;
        _process = process;
    }

    public string Prefix { get; }
    public int Port { get; }
    public string ClientCaPath { get; }
    public string ConfPath => Path.Combine(Prefix, "nginx.conf");
    public string ErrorLog => Path.Combine(Prefix, "error.log");
    public string ServerChainPath => Path.Combine(Prefix, "server.pem");
    public string ServerKeyPath => Path.Combine(Prefix, "server.key");

    /// <summary>argv that makes the running master reload its config and certificates (SIGHUP through the pid file).</summary>
    public IReadOnlyList<string> ReloadArgv => [Executable, "-p", Prefix, "-c", ConfPath, "-e", ErrorLog, "-s", "reload"];

    /// <summary>nginx on PATH, else Debian's /usr/sbin/nginx (not on a non-root user's PATH).</summary>
    public static string Executable { get; } =
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, "nginx")).FirstOrDefault(File.Exists)
        ?? "/usr/sbin/nginx";

    public static bool IsInstalled => File.Exists(Executable);

    /// <summary>Starts nginx; <paramref name="serverChain"/> and <paramref name="serverKey"/> are written to the prefix first.</summary>
    public static async Task<Nginx> StartAsync(string prefix, string clientCaPath, string serverChain, string serverKey)
    {
        Directory.CreateDirectory(prefix);
        var port = FreePort.Next();
        await AtomicFile.WriteAsync(Path.Combine(prefix, "server.pem"), serverChain, AtomicFile.Public, CancellationToken.None);
        await AtomicFile.WriteAsync(Path.Combine(prefix, "server.key"), serverKey, AtomicFile.Private, CancellationToken.None);
        var conf = $$"""
            daemon off;
            master_process on;
            worker_processes 1;
            pid {{prefix}}/nginx.pid;
            error_log {{prefix}}/error.log info;
            events { worker_connections 256; }
            http {
                access_log off;
                client_body_temp_path {{prefix}}/client_body;
                proxy_temp_path {{prefix}}/proxy;
                fastcgi_temp_path {{prefix}}/fastcgi;
                uwsgi_temp_path {{prefix}}/uwsgi;
                scgi_temp_path {{prefix}}/scgi;
                server {
                    listen 127.0.0.1:{{port}} ssl;
                    server_name localhost;
                    ssl_certificate {{prefix}}/server.pem;
                    ssl_certificate_key {{prefix}}/server.key;
                    ssl_client_certificate {{clientCaPath}};
                    ssl_verify_client on;
                    ssl_verify_depth 2;
                    ssl_session_cache off;
                    ssl_session_tickets off;
                    location / { return 200 "ok\n"; }
                }
            }
            """;
        await File.WriteAllTextAsync(Path.Combine(prefix, "nginx.conf"), conf);
        var start = new ProcessStartInfo(Executable) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-p", prefix, "-c", Path.Combine(prefix, "nginx.conf"), "-e", Path.Combine(prefix, "error.log") })
            start.ArgumentList.Add(argument);
        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, _) => { };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var nginx = new Nginx(prefix, port, clientCaPath, process);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"nginx exited {process.ExitCode}: {nginx.Log()}");
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync("127.0.0.1", port);
                return nginx;
            }
            catch (SocketException) when (DateTime.UtcNow < until)
            {
                await Task.Delay(50);
            }
        }
    }

    public string Log() => File.Exists(ErrorLog) ? string.Join('\n', File.ReadLines(ErrorLog).TakeLast(15)) : "(no error log)";

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
