using Rotation.Core.Pki;
using Rotation.Core.Ports;

namespace Rotation.Drill.Drills;

/// <summary>
/// Waits on what targets report, the way the engine's gates do, for sequences driven without the engine
/// (the manual safe order and the negative controls).
/// </summary>
public static class EstateGates
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Until every trust store of every target holds exactly <paramref name="expected"/>.</summary>
    public static Task WaitForBundleAsync(IReadOnlyList<IRotationTarget> targets, TrustBundle expected, TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var wanted = expected.Fingerprints.ToHashSet(StringComparer.Ordinal);
        return WaitAsync(
            async () =>
            {
                foreach (var target in targets)
                {
                    var report = await target.ReportTrustAsync(cancellationToken);
                    if (report.Stores.FirstOrDefault(s => !wanted.SetEquals(s.Sha256Fingerprints)) is { } behind)
                        return $"{behind.Location} does not hold exactly the expected {wanted.Count} root(s) yet";
                }

                return null;
            },
            timeout,
            timeProvider,
            cancellationToken);
    }

    /// <summary>Until every leaf every target shows is signed by <paramref name="issuer"/>.</summary>
    public static Task WaitForLeavesAsync(IReadOnlyList<IRotationTarget> targets, Certificate issuer, TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken) =>
        WaitAsync(
            async () =>
            {
                foreach (var target in targets)
                {
                    var report = await target.ReportLeavesAsync(cancellationToken);
                    if (report.Leaves.FirstOrDefault(l => !l.Leaf.IsSignedBy(issuer)) is { } behind)
                        return $"{behind.Location} still presents a leaf from '{behind.Leaf.Issuer}'";
                }

                return null;
            },
            timeout,
            timeProvider,
            cancellationToken);

    private static async Task WaitAsync(Func<Task<string?>> holdingReason, TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var deadline = timeProvider.GetUtcNow() + timeout;
        while (true)
        {
            var reason = await holdingReason();
            if (reason is null)
                return;
            if (timeProvider.GetUtcNow() > deadline)
                throw new TimeoutException($"the estate did not settle within {timeout.TotalSeconds:0.#}s: {reason}");
            await Task.Delay(PollInterval, timeProvider, cancellationToken);
        }
    }
}
