using System.Diagnostics;

namespace Rotation.Cli.Tests.Support;

/// <summary>Runs the built `rotation` as a real child process (`dotnet rotation.dll ...`) to prove exit codes and streams end to end.</summary>
public sealed class ProcessRunner
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public ProcessRunner(string home) => Home = home;

    public string Home { get; }

    public Dictionary<string, string?> Environment { get; } = new(StringComparer.Ordinal)
    {
        [CliContext.PassphraseVariable] = "process test passphrase",
        [CliContext.HomeVariable] = null,
    };

    public async Task<CliResult> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo(System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rotation.dll"));
        foreach (var argument in (string[])["--home", Home, .. args])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in Environment)
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }
}
