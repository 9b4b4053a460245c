using System.Reflection;
using Rotation.Cli.Tests.Support;
using Rotation.Testing;

namespace Rotation.Cli.Tests;

/// <summary>
/// `rotation` installs as a .NET tool: the project is packed (from the build the tests already made), installed from
/// a feed holding only that package, and the installed command runs init and inventory on a fresh home.
/// </summary>
public sealed class ToolPackageTests : IDisposable
{
    private readonly TempDirectory _temp = new("rotation-cli-tool");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task The_packed_tool_installs_and_runs()
    {
        var feed = _temp.Combine("feed");
        var configuration = typeof(ToolPackageTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        await RunAsync("dotnet", _temp.Path, "pack", CliProjectFile(), "--no-build", "-c", configuration, "-o", feed);
        var package = Assert.Single(Directory.GetFiles(feed, "*.nupkg"));
        Assert.StartsWith("Rotation.Cli.", Path.GetFileName(package));

        // Only this feed: the test must not pass because some other source happened to serve a package.
        var config = _temp.Write("nuget.config", $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration><packageSources><clear /><add key="local" value="{feed}" /></packageSources></configuration>
            """);
        var tools = _temp.Combine("tools");
        await RunAsync("dotnet", _temp.Path, "tool", "install", "--tool-path", tools, "--configfile", config, "Rotation.Cli");

        var rotation = Path.Combine(tools, "rotation");
        var version = await RunAsync(rotation, _temp.Path, "--version");
        Assert.Matches(@"^\d+\.\d+\.\d+", version.Trim());

        var home = _temp.Combine("home");
        await RunAsync(rotation, _temp.Path, "--home", home, "init", "--domain", "tool.example.internal");
        var inventory = await RunAsync(rotation, _temp.Path, "--home", home, "inventory", "--json");
        Assert.Contains("\"tool.example.internal\"", inventory);
        Assert.True(File.Exists(Path.Combine(home, "rotation.db")));
    }

    /// <summary>functions/Rotation.Cli/Rotation.Cli.csproj, found upwards from the CLI's build output.</summary>
    private static string CliProjectFile()
    {
        for (var directory = new DirectoryInfo(Path.GetDirectoryName(ProcessRunner.RotationDll)!); directory is not null; directory = directory.Parent)
        {
            var project = Path.Combine(directory.FullName, "Rotation.Cli.csproj");
            if (File.Exists(project))
            {
                return project;
            }
        }

        throw new InvalidOperationException($"no Rotation.Cli.csproj above {ProcessRunner.RotationDll}");
    }

    private static Task<string> RunAsync(string program, string directory, params string[] args) =>
        ExternalProgram.RunAsync(program, args, directory, new Dictionary<string, string?>
        {
            [CliContext.PassphraseVariable] = "tool test passphrase",
            [CliContext.HomeVariable] = null,
        });
}
