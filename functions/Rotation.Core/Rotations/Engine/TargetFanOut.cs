using Rotation.Core.Ports;
using Rotation.Core.Rotations.Evidence;

namespace Rotation.Core.Rotations.Engine;

/// <summary>
/// Runs one action on every target with bounded concurrency. One target's failure does not stop the others:
/// it is reported as unavailable and the phase holds on it.
/// </summary>
public static class TargetFanOut
{
    public static async Task<IReadOnlyList<TargetResult<T>>> RunAsync<T>(
        IReadOnlyList<IRotationTarget> targets,
        Func<IRotationTarget, CancellationToken, Task<T>> action,
        int maxConcurrency,
        CancellationToken cancellationToken)
        where T : class
    {
        var results = new TargetResult<T>[targets.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, maxConcurrency), CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, targets.Count), parallel, async (index, ct) =>
        {
            var target = targets[index];
            try
            {
                results[index] = TargetResult.Ok(target.Name, await action(target, ct));
            }
            catch (TargetUnavailableException ex)
            {
                results[index] = TargetResult.Unavailable<T>(target.Name, ex.Reason);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                results[index] = TargetResult.Unavailable<T>(target.Name, $"{ex.GetType().Name}: {FirstLine(ex.Message)}");
            }
        });
        return results;
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }
}
