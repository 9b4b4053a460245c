using Rotation.Drill.Estate;
using Rotation.Drill.Kubernetes;
using Rotation.Drill.Traffic;
using Rotation.Drill.Workloads;

namespace Rotation.Cli.Tests.Support;

/// <summary>
/// Real mTLS handshakes on loopback between drill workloads living on the simulated clusters (see
/// <see cref="KubernetesBackedEstate"/>: trust from their namespace's istio-ca-root-cert, leaves from the CA istiod
/// loaded), round after round for the whole test, whatever drives or kills the rotation.
/// </summary>
public sealed class MeshTraffic : IAsyncDisposable
{
    /// <summary>
    /// The workloads' leaf TTL; their leaves can live up to <see cref="SimulatedClusterOptions.MaxLeafLifetime"/>.
    /// They renew at 40–50 % of it, as istio-agent does (SECRET_GRACE_PERIOD_RATIO 0.5): whole-second certificate
    /// times can cut a leaf to exactly its TTL, so renewing at 80 % of a 1 s TTL left 0.2 s of slack, and a 2-core CI
    /// machine starting the resumed driver once starved a renewal past its leaf's expiry (the handshake then failed
    /// NotTimeValid, which says nothing about the rotation). A 2 s TTL still left only 2 s of slack, and the first test
    /// of a class (this process JIT-compiling the estate and TLS while the child `rotation` starts) starved one renewal
    /// 2.3 s in about one run in three; a 4 s TTL gives a renewal at least 3 s.
    /// </summary>
    public static readonly SimulatedClusterOptions Physics = new()
    {
        PropagationDelay = TimeSpan.Zero,
        PropagationJitter = TimeSpan.Zero,
        LeafTtl = TimeSpan.FromSeconds(4),
        ReissueAtMinFraction = 0.4,
        ReissueAtMaxFraction = 0.5,
    };

    private readonly KubernetesBackedEstate _workloads;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private MeshTraffic(KubernetesBackedEstate workloads)
    {
        _workloads = workloads;
        var generator = new TrafficGenerator(workloads.Workloads, new TrafficOptions { Concurrency = 2, OpenSslInterval = null, Seed = 7 }, Tally, () => "rotation", TimeProvider.System, null);
        _loop = Task.Run(async () =>
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    await generator.RunRoundAsync(_stop.Token, CancellationToken.None);
                    // Leave the two cores to the driver and the clusters between rounds.
                    await Task.Delay(50, _stop.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    public HandshakeTally Tally { get; } = new();

    public long Handshakes => Tally.Snapshot().Sum(p => p.Handshakes);

    public long Failures => Tally.Snapshot().Sum(p => p.Failures);

    public IReadOnlyList<HandshakeResult> FailureExamples => Tally.FailureExamples();

    /// <summary>How late the workloads' renewals ran: an Expired handshake after a late renewal is a starved machine.</summary>
    public RenewalLatenessReport Renewals => _workloads.Renewals.Snapshot();

    public static async Task<MeshTraffic> StartAsync(CrashEstate estate) =>
        new(await KubernetesBackedEstate.StartAsync(CrashEstate.Domain, estate.Clusters, workloadsPerCluster: 2, Physics));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        await _workloads.DisposeAsync();
        _stop.Dispose();
    }
}
