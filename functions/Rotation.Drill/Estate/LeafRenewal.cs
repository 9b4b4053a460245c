using Rotation.Core.Pki;

namespace Rotation.Drill.Estate;

/// <summary>
/// A workload's renewal clock, as meshes run it: re-issue the leaf at a random 50–80 % of its lifetime, for as long
/// as the cluster runs. An issuer that cannot sign (e.g. expired) leaves the old leaf in place, as a real proxy keeps it.
/// </summary>
internal static class LeafRenewal
{
    public static async Task RunAsync(SimulatedClusterOptions options, TimeProvider time, Action renew, Action<string> onError, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var fraction = options.ReissueAtMinFraction
                + ((options.ReissueAtMaxFraction - options.ReissueAtMinFraction) * Random.Shared.NextDouble());
            try
            {
                await Task.Delay(options.LeafTtl * fraction, time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                renew();
            }
            catch (PkiException e)
            {
                onError(e.Message);
            }
        }
    }
}
