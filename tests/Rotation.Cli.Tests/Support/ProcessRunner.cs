using System.Diagnostics;
using System.Reflection;

namespace Rotation.Cli.Tests.Support;

/// <summary>Runs the built `rotation` as a real child process (`dotnet rotation.dll ...`) to prove exit codes and streams end to end.</summary>
public sealed class ProcessRunner
{
    public ProcessRunner(string home) => Home = home;

    public string Home { get; }

    /// <summary>How long the child may run before it is killed and the test fails.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    public Dictionary<string, string?> Environment { get; } = new(StringComparer.Ordinal)
    {
        [CliContext.PassphraseVariable] = "process test passphrase",
        [CliContext.HomeVariable] = null,
    };

    /// <summary>The CLI as built in its own output folder (see the test project file for why not this folder's copy).</summary>
    public static string RotationDll { get; } =
        typeof(ProcessRunner).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "RotationCliPath")?.Value is { } path && File.Exists(path)
            ? path
            : throw new InvalidOperationException("the CLI build output (RotationCliPath) is missing: build functions/Rotation.Cli first");

    public async Task<CliResult> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo(System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(RotationDll);
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
