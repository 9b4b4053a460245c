using Rotation.Core.Pki;

namespace Rotation.Drill.Estate;

/// <summary>
/// A workload's renewal clock, as meshes run it: re-issue the leaf at a random 50–80 % of its lifetime, for as long
/// as the cluster runs. An issuer that cannot sign (e.g. expired) leaves the old leaf in place, as a real proxy keeps it.
/// Each renewal's lateness (done against due) goes to <see cref="RenewalLateness"/>, so a starved machine is told apart
/// from a broken rotation.
/// </summary>
internal static class LeafRenewal
{
    public static async Task RunAsync(
        string workload,
        SimulatedClusterOptions options,
        TimeProvider time,
        RenewalLateness lateness,
        Action renew,
        Action<string> onError,
        CancellationToken cancellationToken)
    {
        // The clock restarts after every attempt (the first leaf was issued just before it starts), so a refused
        // renewal waits a full interval rather than retrying at once.
        var issuedAt = time.GetUtcNow();
        while (!cancellationToken.IsCancellationRequested)
        {
            var fraction = options.ReissueAtMinFraction
                + ((options.ReissueAtMaxFraction - options.ReissueAtMinFraction) * Random.Shared.NextDouble());
            var due = issuedAt + (options.LeafTtl * fraction);
            try
            {
                var wait = due - time.GetUtcNow();
                await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, time, cancellationToken);
                if (options.RenewalStall is { } stall)
                    await Task.Delay(stall, time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                renew();
                // Only renewals that happened count: a refused one (the issuer cannot sign) says nothing of the machine.
                lateness.Record(workload, due, time.GetUtcNow(), issuedAt + options.LeafTtl + LeafMinter.SkewMargin);
            }
            catch (PkiException e)
            {
                onError(e.Message);
            }

            issuedAt = time.GetUtcNow();
        }
    }
}
