using System.Runtime.CompilerServices;
using Rotation.Core.Pki;
using Rotation.Drill.Workloads;

namespace Rotation.Drill.Estate;

/// <summary>
/// Carries a control-plane bundle to each workload after its own delay (propagation plus random jitter), and
/// records the push as a mandatory wait until the last workload has it. <c>loaded</c> is told after each delivery
/// (the cluster's change signal).
/// </summary>
internal sealed class BundlePropagation(
    IReadOnlyList<SimulatedWorkload> workloads,
    SimulatedClusterOptions options,
    TimeProvider timeProvider,
    MandatoryWaitTracker waits,
    Action loaded,
    CancellationToken stopping)
{
    public void Push(TrustBundle bundle, long generation)
    {
        var wait = waits.Open(timeProvider.GetUtcNow());
        var remaining = new StrongBox<int>(workloads.Count);
        foreach (var workload in workloads)
        {
            var delay = options.PropagationDelay + (options.PropagationJitter * Random.Shared.NextDouble());
            _ = DeliverAsync(workload, bundle, generation, delay, () =>
            {
                if (Interlocked.Decrement(ref remaining.Value) == 0)
                    waits.Close(wait, timeProvider.GetUtcNow());
            });
        }
    }

    private async Task DeliverAsync(SimulatedWorkload workload, TrustBundle bundle, long generation, TimeSpan delay, Action delivered)
    {
        try
        {
            await Task.Delay(delay, timeProvider, stopping);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        // A newer push that arrived first wins; this one still counts as delivered.
        workload.UseTrustBundle(bundle, generation);
        delivered();
        loaded();
    }
}
