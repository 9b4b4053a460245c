using System.Diagnostics;

namespace Rotation.Functions.Tests.Support;

/// <summary>The real bicep CLI from the Azure.Bicep.CommandLine.linux-x64 package (tools/bicep), run offline.</summary>
public static class BicepCli
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        /// <summary>Every diagnostic line (warnings and errors from the compiler and the linter).</summary>
        public IReadOnlyList<string> Diagnostics => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.Contains(" : Warning ", StringComparison.Ordinal) || l.Contains(" : Error ", StringComparison.Ordinal) || l.Contains(" : Info ", StringComparison.Ordinal))
            .ToList();
    }

    public static async Task<Result> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(TestPaths.Bicep) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        // Offline: no telemetry, no registry restores (the templates use no registry modules).
        start.Environment["BICEP_TELEMETRY_ENABLED"] = "false";
        start.Environment["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "1";
        if (!File.Exists(TestPaths.Bicep))
            throw new FileNotFoundException($"the bicep CLI is not at {TestPaths.Bicep}: restore Rotation.Functions.Tests (it references Azure.Bicep.CommandLine.linux-x64)");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(TestPaths.Bicep, File.GetUnixFileMode(TestPaths.Bicep) | UnixFileMode.UserExecute);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>build to stdout, then lint: the template passes only with exit 0 and no diagnostic at all.</summary>
    public static async Task<(Result Build, Result Lint)> BuildAndLintAsync(string mainBicep) =>
        (await RunAsync("build", mainBicep, "--stdout"), await RunAsync("lint", mainBicep));
}
