using System.Runtime.InteropServices;

namespace Rotation.Cli.Tests;

/// <summary>
/// A signal whose grace runs out before the command unwound: the process exits at once, and the folders the command
/// made for itself go first (a starved CI machine once left a drill's home in TMPDIR this way). In-process, so the
/// command can be held from unwinding: its token is only cancelled after the forced exit.
/// </summary>
public sealed class ForcedExitTests
{
    [Fact]
    public async Task A_drill_that_outlives_the_grace_still_leaves_no_throwaway_home_behind()
    {
        var error = new StringWriter();
        var context = new CliContext(new StringWriter(), error, _ => null, TimeProvider.System);
        using var stopping = new CancellationTokenSource();
        var signal = new TaskCompletionSource<PosixSignal>();
        var command = CliApp.RunAsync(["drill", "--clusters", "2", "--workloads", "2"], context, stopping.Token);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (context.Throwaway.Registered.Count == 0 && !command.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < deadline, "the drill never made its throwaway home");
            await Task.Delay(10);
        }

        var home = Assert.Single(context.Throwaway.Registered);
        Assert.True(Directory.Exists(home));
        signal.SetResult(PosixSignal.SIGTERM);

        var exit = await CliApp.BoundBySignalAsync(command, context, signal.Task, TimeSpan.Zero);

        // The forced path ran (the command may fail right after, its home pulled away; the process would be gone).
        Assert.Equal(143, exit);
        Assert.Contains("did not unwind within 0 s", error.ToString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(home), $"{home} is still there after the forced exit");

        // Here the command ends after all, and must not make the home again.
        await stopping.CancelAsync();
        await command;
        Assert.False(Directory.Exists(home));
        Assert.Empty(context.Throwaway.Registered);
    }

    [Fact]
    public async Task A_folder_the_command_removed_itself_is_not_touched_again()
    {
        var folders = new ThrowawayFolders();
        var kept = Directory.CreateTempSubdirectory("rotation-throwaway-test-");
        try
        {
            using (folders.Register(kept.FullName))
            {
                Assert.Equal([kept.FullName], folders.Registered);
            }

            Assert.Empty(await folders.DeleteAllAsync());
            Assert.True(Directory.Exists(kept.FullName));
        }
        finally
        {
            kept.Delete(recursive: true);
        }
    }
}
