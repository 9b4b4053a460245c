namespace Rotation.Infra.Kubernetes.Writing;

/// <summary>
/// Never a blind overwrite: read the object, decide from what is there, write with the resourceVersion that was read.
/// A 409 (someone wrote in between, or a create raced) re-reads and decides again, up to a bound. Deciding again is
/// what keeps a retried write from being lost or applied twice.
/// </summary>
internal static class ReadModifyWrite
{
    /// <param name="change">Returns the object to write, or null when the current content is already what we want (no write, no resourceVersion churn).</param>
    /// <returns>True when something was written.</returns>
    public static async Task<bool> RunAsync<T>(
        int maxConflictRetries,
        Func<Task<T?>> read,
        Func<T?, T?> change,
        Func<T, Task> create,
        Func<T, Task> replace)
        where T : class
    {
        for (var attempt = 0; ; attempt++)
        {
            var current = await read();
            var desired = change(current);
            if (desired is null)
                return false;
            try
            {
                if (current is null)
                    await create(desired);
                else
                    await replace(desired);
                return true;
            }
            catch (Exception ex) when (KubeErrors.IsConflict(ex) && attempt < maxConflictRetries)
            {
                // Re-read on the next turn.
            }
        }
    }
}
