using System.Diagnostics;

namespace Rotation.Testing;

/// <summary>The outcome of one openssl invocation.</summary>
public sealed record OpenSslResult(int ExitCode, string StdOut, string StdErr)
{
    public bool Succeeded => ExitCode == 0;
    public override string ToString() => $"exit {ExitCode}\nstdout: {StdOut}\nstderr: {StdErr}";
}

/// <summary>
/// Runs the real `openssl` binary. There is no skip: interop with openssl is what these tests prove, and CI installs it.
/// </summary>
public static class OpenSsl
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static async Task<OpenSslResult> RunAsync(IEnumerable<string> arguments, string? workingDirectory = null, string? stdin = null, CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo("openssl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start openssl: install it (apt-get install openssl)");
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin.AsMemory(), cancellationToken);
            process.StandardInput.Close();
        }

        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new OpenSslResult(process.ExitCode, await stdout, await stderr);
    }

    public static Task<OpenSslResult> RunAsync(params string[] arguments) => RunAsync((IEnumerable<string>)arguments);

    /// <summary>Runs openssl and throws with its output when it fails: for setup steps that must work.</summary>
    public static async Task<OpenSslResult> RunCheckedAsync(params string[] arguments)
    {
        var result = await RunAsync(arguments);
        return result.Succeeded ? result : throw new InvalidOperationException($"openssl {string.Join(' ', arguments)} failed: {result}");
    }
}
