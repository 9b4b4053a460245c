using System.Diagnostics;
using System.Reflection;

namespace Rotation.Infra.Prometheus.Tests;

/// <summary>
/// Runs the real promtool (Debian package `prometheus`; .ci/run installs it). There is no skip: that the rules
/// load and fire as promised is what these tests prove.
/// </summary>
internal static class Promtool
{
    public static string AlertPackDirectory { get; } = typeof(Promtool).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "AlertPackDirectory").Value!;

    public static async Task<(int ExitCode, string Output)> RunAsync(string? stdin, params string[] arguments)
    {
        var start = new ProcessStartInfo("promtool")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start promtool: apt-get install prometheus");
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
