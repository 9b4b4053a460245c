using System.Runtime.InteropServices;

namespace Rotation.Infra.LocalVault;

/// <summary>
/// link(2): publishes a finished file under a new name only if that name is free, atomically. File.Move without
/// overwrite is not that on Unix: dotnet/runtime's FileSystem.Unix.cs MoveFile checks the destination with lstat and
/// then calls rename(2), which replaces whatever a concurrent writer linked in between (two vault instances then
/// each keep their own passphrase, and one's keys no longer open).
/// </summary>
internal static partial class HardLink
{
    private const int EEXIST = 17; // Linux and macOS agree on this errno value

    public enum Outcome
    {
        Created,
        AlreadyExists,
        NotSupported,
    }

    public static Outcome TryCreate(string existingFile, string newName)
    {
        if (Link(existingFile, newName) == 0)
        {
            return Outcome.Created;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno == EEXIST)
        {
            return Outcome.AlreadyExists;
        }

        // EPERM/ENOTSUP/EOPNOTSUPP on file systems without hard links (FAT, some network shares).
        return Outcome.NotSupported;
    }

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existingFile, string newName);
}
