using System.Diagnostics;

namespace Rotation.Cli.Tests.Support;

/// <summary>Runs another program (a shell, dotnet, an installed tool) and fails the test unless it exits 0.</summary>
public static class ExternalProgram
{
    public static async Task<string> RunAsync(
        string program, IEnumerable<string> args, string? directory = null, IReadOnlyDictionary<string, string?>? environment = null, bool quietStderr = false)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (directory is not null)
        {
            start.WorkingDirectory = directory;
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
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

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        var errors = (await stderr).Trim();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)} exited {process.ExitCode}:\n{await stdout}\n{errors}");
        Assert.True(!quietStderr || errors.Length == 0, $"{program} wrote to stderr: {errors}");
        return await stdout;
    }
}
