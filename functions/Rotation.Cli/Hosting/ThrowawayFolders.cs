namespace Rotation.Cli;

/// <summary>
/// The folders a command made for itself only (the drill's throwaway home) and removes when it ends. When a signal's
/// grace runs out the process exits without the command's own clean-up, so <see cref="CliApp"/> removes what is
/// still registered here first: a drill's home holds a store and an encrypted vault nobody will ever open again.
/// </summary>
public sealed class ThrowawayFolders
{
    private readonly Lock _lock = new();
    private readonly HashSet<string> _paths = new(StringComparer.Ordinal);

    /// <summary>Registers <paramref name="path"/> until the returned handle is disposed (the command removed it itself).</summary>
    public IDisposable Register(string path)
    {
        lock (_lock)
            _paths.Add(path);
        return new Registration(this, path);
    }

    /// <summary>The folders registered now.</summary>
    public IReadOnlyList<string> Registered
    {
        get
        {
            lock (_lock)
                return [.. _paths];
        }
    }

    /// <summary>Removes every registered folder; returns the ones that could not be removed, each with why.</summary>
    public async Task<IReadOnlyList<string>> DeleteAllAsync()
    {
        string[] paths;
        lock (_lock)
        {
            paths = [.. _paths];
            _paths.Clear();
        }

        var failed = new List<string>();
        foreach (var path in paths)
        {
            if (await TryDeleteAsync(path) is { } error)
                failed.Add($"{path}: {error}");
        }

        return failed;
    }

    // The command is still running and may write into the folder while it goes; a few tries outlast such a write.
    private static async Task<string?> TryDeleteAsync(string path)
    {
        string? error = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                if (Directory.Exists(path))
                    Directory.Delete(path, recursive: true);
                return null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error = e.Message;
                await Task.Delay(50);
            }
        }

        return error;
    }

    private sealed class Registration(ThrowawayFolders owner, string path) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._lock)
                owner._paths.Remove(path);
        }
    }
}
