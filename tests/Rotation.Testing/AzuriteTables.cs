using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Rotation.Testing;

/// <summary>
/// A real Azurite Table service (npm package "azurite", installed by .ci/run) on a free loopback port, in memory,
/// stopped on dispose. Use one per test class (an xunit class fixture) and a table per test.
/// </summary>
public sealed class AzuriteTables : IAsyncDisposable, IDisposable
{
    /// <summary>Azurite's well-known development account (public, documented; not a secret).</summary>
    public const string AccountName = "devstoreaccount1";
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly TempDirectory _workspace;

    private AzuriteTables(Process process, TempDirectory workspace, int port)
    {
        _process = process;
        _workspace = workspace;
        Port = port;
    }

    public int Port { get; }

    public Uri TableEndpoint => new($"http://127.0.0.1:{Port}/{AccountName}");

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};TableEndpoint={TableEndpoint};";

    /// <summary>A fresh table name (3-63 letters and digits).</summary>
    public static string NewTableName() => "t" + Guid.NewGuid().ToString("N")[..20];

    public static AzuriteTables Start()
    {
        var executable = FindOnPath("azurite-table")
            ?? throw new InvalidOperationException("azurite-table is not on PATH: install Azurite with 'npm install -g azurite' (.ci/run does)");
        Exception? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var workspace = new TempDirectory("rotation-azurite");
            var port = FreePort();
            var start = new ProcessStartInfo(executable)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = workspace.Path,
            };
            foreach (var argument in new[]
            {
                "--inMemoryPersistence", "--silent", "--disableTelemetry", "--skipApiVersionCheck",
                // In memory, so no --location (Azurite refuses both); the workspace is only its working directory.
                "--tableHost", "127.0.0.1", "--tablePort", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            })
            {
                start.ArgumentList.Add(argument);
            }

            var process = Process.Start(start)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (WaitForListener(process, port, TimeSpan.FromSeconds(60)))
            {
                return new AzuriteTables(process, workspace, port);
            }

            last = new InvalidOperationException($"azurite-table did not listen on 127.0.0.1:{port} (exit {(process.HasExited ? process.ExitCode : -1)})");
            Stop(process);
            workspace.Dispose();
        }

        throw last!;
    }

    public void Dispose()
    {
        Stop(_process);
        _workspace.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        process.Dispose();
    }

    private static bool WaitForListener(Process process, int port, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout && !process.HasExited)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }

        return false;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
}
