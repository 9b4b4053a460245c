using System.Diagnostics;
using System.Text;

namespace Rotation.Cli.Tests.Support;

/// <summary>
/// `dotnet rotation.dll --home HOME ...` as a child process the test can kill at any instant, the way a node loss or
/// an OOM kill ends a driver: no cancellation, no finally blocks, no flush.
/// </summary>
public sealed class DriverProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private DriverProcess(Process process) => _process = process;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public int Id => _process.Id;

    /// <summary>Waits for the driver to exit on its own; false when <paramref name="timeout"/> passed first.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static DriverProcess Start(ProcessRunner runner, params string[] args) => StartWithTemporaryDirectory(runner, null, args);

    /// <summary>
    /// Starts the driver with its temporary folder (TMPDIR) set, so a test can see what it leaves there. (Its own name:
    /// an overload of Start would take the first argument of every other caller for the folder.)
    /// </summary>
    public static DriverProcess StartWithTemporaryDirectory(ProcessRunner runner, string? temporaryDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ProcessRunner.RotationDll);
        foreach (var argument in (string[])["--home", runner.Home, .. args])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in runner.Environment)
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

        if (temporaryDirectory is not null)
        {
            start.Environment["TMPDIR"] = temporaryDirectory;
        }

        var process = new Process { StartInfo = start };
        var driver = new DriverProcess(process);
        process.OutputDataReceived += (_, e) => driver.Append(e.Data);
        process.ErrorDataReceived += (_, e) => driver.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return driver;
    }

    /// <summary>SIGKILL to the driver and anything it started; returns once it is gone.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
