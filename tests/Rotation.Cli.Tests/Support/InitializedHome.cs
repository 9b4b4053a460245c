using Rotation.Testing;

namespace Rotation.Cli.Tests.Support;

/// <summary>
/// One `rotation init` per test class, copied into each test's fresh home: a home is just its files (rotation.db and
/// the key directory), and starting the CLI once instead of once per test keeps the crash tests inside their budget.
/// </summary>
public sealed class InitializedHome : IAsyncLifetime
{
    private readonly TempDirectory _temp = new("rotation-crash-template");

    public string Path => _temp.File("home");

    public async Task InitializeAsync()
    {
        var init = await new ProcessRunner(Path).RunAsync("init", "--domain", CrashEstate.Domain);
        Assert.True(init.ExitCode == 0, init.ToString());
    }

    public void CopyTo(string home)
    {
        foreach (var file in Directory.EnumerateFiles(Path, "*", SearchOption.AllDirectories))
        {
            var target = System.IO.Path.Combine(home, System.IO.Path.GetRelativePath(Path, file));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            File.Copy(file, target);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(target, File.GetUnixFileMode(file));
            }
        }
    }

    public Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }
}
