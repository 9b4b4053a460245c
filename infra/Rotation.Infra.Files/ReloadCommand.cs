using System.ComponentModel;
using System.Diagnostics;

namespace Rotation.Infra.Files;

/// <summary>What a reload run gave: success, or why not (exit code and the last line of stderr, a timeout, a missing program).</summary>
public sealed record ReloadResult(bool Succeeded, string Detail);

/// <summary>
/// Runs the consumer's reload command as argv (no shell), with a timeout after which the process tree is killed.
/// Its stdout is discarded; the last non-empty line of stderr is what an operator needs to see when it fails.
/// </summary>
public static class ReloadCommand
{
    public static async Task<ReloadResult> RunAsync(IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(argv[0])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in argv.Skip(1))
            start.ArgumentList.Add(argument);

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            return new ReloadResult(false, $"cannot start '{argv[0]}': {ex.Message}");
        }

        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            return new ReloadResult(false, $"'{CommandLine.Format(argv)}' did not finish within {timeout.TotalSeconds:0} s and was killed");
        }

        var error = await stderr;
        _ = await stdout;
        if (process.ExitCode == 0)
            return new ReloadResult(true, $"'{CommandLine.Format(argv)}' exited 0");
        var last = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "(nothing on stderr)";
        return new ReloadResult(false, $"'{CommandLine.Format(argv)}' exited {process.ExitCode}: {last}");
    }
}
