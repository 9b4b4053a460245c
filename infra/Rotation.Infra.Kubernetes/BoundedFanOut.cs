namespace Rotation.Infra.Kubernetes;

/// <summary>The outcome of one item of a fan-out: its result, or the exception it ended with.</summary>
public sealed record FanOutResult<TItem, TResult>(TItem Item, TResult? Result, Exception? Error)
{
    public bool Succeeded => Error is null;
}

/// <summary>
/// Runs a per-item action over many items with at most N in flight (clusters of a domain, Deployments to restart).
/// One item failing does not stop the others: every item gets its chance, and the caller sees each outcome.
/// </summary>
public static class BoundedFanOut
{
    public static async Task<IReadOnlyList<FanOutResult<TItem, TResult>>> RunAsync<TItem, TResult>(
        IEnumerable<TItem> items,
        int maxConcurrency,
        Func<TItem, CancellationToken, Task<TResult>> action,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrency, 1);
        using var slots = new SemaphoreSlim(maxConcurrency);
        var tasks = items.Select(async item =>
        {
            await slots.WaitAsync(cancellationToken);
            try
            {
                return new FanOutResult<TItem, TResult>(item, await action(item, cancellationToken), null);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return new FanOutResult<TItem, TResult>(item, default, ex);
            }
            finally
            {
                slots.Release();
            }
        }).ToList();
        return await Task.WhenAll(tasks);
    }

    /// <summary>Runs every item, then throws the first failure (all of them in an AggregateException when several failed).</summary>
    public static async Task ForEachAsync<TItem>(
        IEnumerable<TItem> items,
        int maxConcurrency,
        Func<TItem, CancellationToken, Task> action,
        CancellationToken cancellationToken = default)
    {
        var results = await RunAsync(items, maxConcurrency, async (item, token) =>
        {
            await action(item, token);
            return true;
        }, cancellationToken);
        var errors = results.Where(r => r.Error is not null).Select(r => r.Error!).ToList();
        if (errors.Count == 1)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(errors[0]);
        if (errors.Count > 1)
            throw new AggregateException(errors);
    }
}
