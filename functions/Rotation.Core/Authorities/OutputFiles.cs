using System.Text;

namespace Rotation.Core.Authorities;

/// <summary>
/// Writes exported material. Each file is written to a temporary name beside it and renamed into place, so a
/// reader (a mesh watching the directory) never sees half a file; secret files are created 0600 from the
/// first byte rather than chmod-ed afterwards.
/// </summary>
public static class OutputFiles
{
    private const UnixFileMode SecretMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PublicMode = SecretMode | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public static Task WritePublicAsync(string path, string content, CancellationToken cancellationToken = default) =>
        WriteAsync(path, content, PublicMode, cancellationToken);

    public static Task WriteSecretAsync(string path, string content, CancellationToken cancellationToken = default) =>
        WriteAsync(path, content, SecretMode, cancellationToken);

    private static async Task WriteAsync(string path, string content, UnixFileMode mode, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = $"{full}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }

        try
        {
            await using (var stream = new FileStream(temporary, options))
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes(content), cancellationToken);
                await stream.FlushAsync(cancellationToken);
            }

            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
