using System.Security.Cryptography;
using System.Text;

namespace Rotation.Infra.Files;

/// <summary>
/// Replaces a file as one step: the content goes to a temporary file in the same directory, created with its final
/// mode (so a private key is never readable by others, not even for an instant), flushed to disk, then renamed over
/// the target. A reader sees the old file or the new one, never a half-written one.
/// </summary>
public static class AtomicFile
{
    public const UnixFileMode Public = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    public const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static async Task WriteAsync(string path, string content, UnixFileMode mode, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(path)!;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.rotation-{Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant()}");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
        };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = mode;
        try
        {
            await using (var stream = new FileStream(temporary, options))
            {
                // The umask may have taken bits away from the create mode; set exactly the intended mode before any byte is written.
                if (!OperatingSystem.IsWindows())
                    File.SetUnixFileMode(stream.SafeFileHandle, mode);
                await stream.WriteAsync(Encoding.UTF8.GetBytes(content), cancellationToken);
                await stream.FlushAsync(cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Creates a directory only its owner can enter (where it does not exist yet).</summary>
    public static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(path);
        else
            Directory.CreateDirectory(path, PrivateDirectory);
    }

    /// <summary>The file's text, or null when it does not exist.</summary>
    public static async Task<string?> ReadAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }
}
