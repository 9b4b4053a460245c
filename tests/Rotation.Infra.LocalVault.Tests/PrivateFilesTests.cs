using System.Text;
using Rotation.Testing;

namespace Rotation.Infra.LocalVault.Tests;

public sealed class PrivateFilesTests
{
    /// <summary>
    /// Two vault instances that create the same file at once (the passphrase file, a key file) must agree on one
    /// winner: exactly one create succeeds and the file holds the winner's bytes. File.Move without overwrite checks
    /// for the destination and then renames, so a racing rename replaces the winner's file and two processes each
    /// believe their own passphrase is the vault's.
    /// </summary>
    [Fact]
    public async Task Racing_creates_of_one_path_have_one_winner_whose_bytes_stay()
    {
        using var directory = new TempDirectory();
        for (var round = 0; round < 300; round++)
        {
            var path = directory.File($"race-{round}.pem");
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var racers = Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
            {
                await start.Task;
                var created = await PrivateFiles.TryCreateAsync(path, Encoding.ASCII.GetBytes($"writer {writer}"), CancellationToken.None);
                return (writer, created);
            })).ToList();
            start.SetResult();
            var results = await Task.WhenAll(racers);

            var winners = results.Where(r => r.created).ToList();
            Assert.True(winners.Count == 1, $"round {round}: {winners.Count} creates succeeded");
            Assert.Equal($"writer {winners[0].writer}", await File.ReadAllTextAsync(path));
        }

        Assert.Equal(300, Directory.GetFiles(directory.Path).Length); // no temp file left behind
    }

    [Fact]
    public async Task A_create_over_an_existing_file_returns_false_and_leaves_it()
    {
        using var directory = new TempDirectory();
        var path = directory.Write("held.pem", "first");

        Assert.False(await PrivateFiles.TryCreateAsync(path, Encoding.ASCII.GetBytes("second"), CancellationToken.None));
        Assert.Equal("first", await File.ReadAllTextAsync(path));
        Assert.Single(Directory.GetFiles(directory.Path));
    }

    [Fact]
    public async Task A_created_file_is_owner_only()
    {
        using var directory = new TempDirectory();
        var path = directory.File("new.pem");

        Assert.True(await PrivateFiles.TryCreateAsync(path, Encoding.ASCII.GetBytes("secret"), CancellationToken.None));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(PrivateFiles.OwnerOnlyFile, File.GetUnixFileMode(path));
        }
    }
}
