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
    /// <summary>The workloads' leaf TTL; their leaves can live up to <see cref="SimulatedClusterOptions.MaxLeafLifetime"/>.</summary>
    public static readonly SimulatedClusterOptions Physics = new()
    {
        PropagationDelay = TimeSpan.Zero,
        PropagationJitter = TimeSpan.Zero,
        LeafTtl = TimeSpan.FromSeconds(1),
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
