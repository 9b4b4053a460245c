using System.Security.Cryptography;

namespace Rotation.Cli.Tests.Support;

/// <summary>Every file under a folder with its content hash and mode: equal snapshots mean nothing changed on disk.</summary>
public sealed record HomeSnapshot(IReadOnlyDictionary<string, string> Files)
{
    public static HomeSnapshot Take(string folder)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (Directory.Exists(folder))
        {
            foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            {
                var mode = OperatingSystem.IsWindows() ? string.Empty : File.GetUnixFileMode(file).ToString();
                files[Path.GetRelativePath(folder, file)] = $"{Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)))} {mode}";
            }
        }

        return new HomeSnapshot(files);
    }

    public void AssertUnchanged(string folder)
    {
        var now = Take(folder);
        Assert.Equal(Files.Keys, now.Files.Keys);
        foreach (var (path, hash) in Files)
        {
            Assert.True(hash == now.Files[path], $"{path} changed");
        }
    }
}
