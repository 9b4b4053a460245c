using System.Collections.Concurrent;
using Rotation.Cli.Tests.Support;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>
/// SIGTERM and Ctrl-C (SIGINT) stop a running drill within 5 s, end every process it started (its openssl peers) and
/// remove everything it wrote to the temporary folder: its throwaway home and the peers' key folders (issue 10 §3).
/// The drill is the real CLI as a child process; its process tree is read from /proc while it runs. The class runs
/// alone: the 5 s bound is about the drill's own unwinding, not about sharing two cores with other test classes.
/// </summary>
[Collection(nameof(DrillSignalTests))]
public sealed class DrillSignalTests : IDisposable
{
    private static readonly TimeSpan StopWithin = TimeSpan.FromSeconds(5);

    private readonly TempDirectory _home = new("rotation-signal-home");
    private readonly TempDirectory _temporary = new("rotation-signal-tmp");

    public static TheoryData<int, string[]> Drills => new()
    {
        // Estates large enough that the drill is still mid-rotation when the signal comes.
        { ProcessTree.Sigterm, ["drill", "--clusters", "20", "--workloads", "10"] },
        { ProcessTree.Sigint, ["drill", "--clusters", "20", "--workloads", "10"] },
        { ProcessTree.Sigterm, ["drill", "--kubernetes", "--clusters", "20", "--workloads", "10"] },
        // The estate that ignored SIGTERM for 14 minutes (issue 10): its CPU-bound leaf renewals starved the unwinding.
        { ProcessTree.Sigterm, ["drill", "--kubernetes", "--clusters", "99", "--workloads", "40"] },
    };

    [Theory]
    [MemberData(nameof(Drills))]
    public async Task A_signal_stops_the_drill_within_five_seconds_and_leaves_no_process_or_file_behind(int signal, string[] drill)
    {
        var runner = new ProcessRunner(_home.Path);
        using var driver = DriverProcess.StartWithTemporaryDirectory(runner, _temporary.Path, drill);

        // Every process the drill starts, watched until it is gone: openssl peers live for milliseconds.
        var seen = new ConcurrentDictionary<(int, long), ProcessTree.Member>();
        using var watching = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (!watching.IsCancellationRequested)
            {
                foreach (var member in ProcessTree.Descendants(driver.Id))
                    seen.TryAdd((member.Pid, member.StartTicks), member);
                await Task.Delay(5);
            }
        });

        // Signal mid-rotation: once an openssl peer has run (the drill is in its phases), or 15 s after the drill made
        // its home, whichever comes first.
        var deadline = DateTimeOffset.UtcNow.AddSeconds(90);
        DateTimeOffset? homeMade = null;
        while (!driver.HasExited && !seen.Values.Any(m => m.Command == "openssl") && DateTimeOffset.UtcNow < deadline)
        {
            if (homeMade is null && Directory.EnumerateDirectories(_temporary.Path, "rotation-drill-*").Any())
                homeMade = DateTimeOffset.UtcNow;
            if (DateTimeOffset.UtcNow - homeMade > TimeSpan.FromSeconds(15))
                break;
            await Task.Delay(20);
        }

        Assert.False(driver.HasExited, $"the drill ended before the signal could be sent:\n{driver.Output}");
        ProcessTree.Signal(driver.Id, signal);
        var stopped = await driver.WaitForExitAsync(StopWithin);
        await watching.CancelAsync();
        await watcher;

        var ignored = !stopped && ProcessTree.Ignores(driver.Id, signal)
            ? $" The drill ignores signal {signal}: it inherited that from the test process (started in the background by a shell without job control?); run the tests in the foreground."
            : "";
        Assert.True(stopped, $"the drill was still running {StopWithin.TotalSeconds} s after signal {signal}.{ignored}\n{driver.Output}");
        Assert.Equal(128 + signal, driver.ExitCode);
        Assert.Contains(signal == ProcessTree.Sigterm ? "error: stopped by SIGTERM" : "error: stopped by SIGINT", driver.Output, StringComparison.Ordinal);
        var survivors = seen.Values.Where(ProcessTree.IsAlive).ToList();
        Assert.True(survivors.Count == 0, $"still running after the drill stopped: {string.Join(", ", survivors.Select(s => $"{s.Command}[{s.Pid}]"))}");
        // Only Rotation's own entries: the runtime keeps its diagnostics socket in TMPDIR too.
        var left = Directory.EnumerateFileSystemEntries(_temporary.Path, "rotation-*").Select(Path.GetFileName).ToList();
        Assert.True(left.Count == 0, $"left in the temporary folder: {string.Join(", ", left)}\n{driver.Output}");
    }

    public void Dispose()
    {
        _home.Dispose();
        _temporary.Dispose();
    }
}

[CollectionDefinition(nameof(DrillSignalTests), DisableParallelization = true)]
public sealed class DrillSignalCollection;
