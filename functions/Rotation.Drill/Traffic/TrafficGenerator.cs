using Rotation.Drill.OpenSsl;
using Rotation.Drill.Workloads;

namespace Rotation.Drill.Traffic;

/// <summary>
/// Drives handshakes between workloads in bounded rounds (all pairs or a sample, see <see cref="PairSampler"/>),
/// with bounded concurrency, and counts each result under the phase that was current when it started.
/// </summary>
public sealed class TrafficGenerator
{
    private readonly IReadOnlyList<SimulatedWorkload> _workloads;
    private readonly TrafficOptions _options;
    private readonly HandshakeTally _tally;
    private readonly Func<string> _currentPhase;
    private readonly TimeProvider _time;
    private readonly PairSampler _sampler;
    private readonly OpenSslPeer? _openSsl;
    private readonly Random _random;
    private readonly Lock _randomLock = new();
    private int _rounds;

    public TrafficGenerator(
        IReadOnlyList<SimulatedWorkload> workloads,
        TrafficOptions options,
        HandshakeTally tally,
        Func<string> currentPhase,
        TimeProvider timeProvider,
        OpenSslPeer? openSsl)
    {
        _workloads = workloads;
        _options = options;
        _tally = tally;
        _currentPhase = currentPhase;
        _time = timeProvider;
        _openSsl = openSsl;
        _random = options.Seed is { } seed ? new Random(seed) : new Random();
        _sampler = new PairSampler(workloads, options.MaxPairsPerRound, _random);
    }

    public string Sampling => _sampler.Description;
    public int Rounds => Volatile.Read(ref _rounds);

    /// <summary>Rounds back to back until <paramref name="stop"/> fires; the round in progress then starts no new handshake.</summary>
    public async Task RunUntilStoppedAsync(CancellationToken stop, CancellationToken cancellationToken)
    {
        while (!stop.IsCancellationRequested)
            await RunRoundAsync(stop, cancellationToken);
    }

    /// <summary>One round: at most one pass over the chosen pairs and at most <see cref="TrafficOptions.RoundTimeout"/> of starting handshakes.</summary>
    public async Task RunRoundAsync(CancellationToken stop, CancellationToken cancellationToken)
    {
        var pairs = _sampler.NextRound();
        var deadline = _time.GetUtcNow() + _options.RoundTimeout;
        var next = -1;
        var workers = Enumerable.Range(0, Math.Max(1, _options.Concurrency)).Select(async _ =>
        {
            while (true)
            {
                var index = Interlocked.Increment(ref next);
                if (index >= pairs.Count || stop.IsCancellationRequested || _time.GetUtcNow() > deadline)
                    return;
                var phase = _currentPhase();
                var result = await pairs[index].Client.HandshakeAsync(pairs[index].Server, cancellationToken);
                _tally.Record(phase, result);
            }
        });
        await Task.WhenAll(workers);
        Interlocked.Increment(ref _rounds);
    }

    /// <summary>
    /// Three handshakes with real openssl peers (s_client → .NET, .NET → s_server, s_client → s_server), each with
    /// the current material of randomly chosen workloads. Does nothing when openssl is off.
    /// </summary>
    public async Task RunOpenSslCheckAsync(CancellationToken cancellationToken)
    {
        if (_openSsl is null)
            return;
        var (a, b, c, d) = (Pick(), Pick(), Pick(), Pick());
        if (ReferenceEquals(a, b))
            b = Other(a);
        if (ReferenceEquals(c, d))
            d = Other(c);

        await RecordAsync(() => _openSsl.ClientToWorkloadAsync(a, b, cancellationToken), $"openssl:{a.Location}", b.Location);
        await RecordAsync(() => _openSsl.WorkloadToServerAsync(c, d, cancellationToken), c.Location, $"openssl:{d.Location}");
        await RecordAsync(() => _openSsl.ClientToServerAsync(a, d, cancellationToken), $"openssl:{a.Location}", $"openssl:{d.Location}");
    }

    private async Task RecordAsync(Func<Task<HandshakeResult>> handshake, string client, string server)
    {
        var phase = _currentPhase();
        HandshakeResult result;
        try
        {
            result = await handshake();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
        {
            // A peer that could not even start proves nothing: it counts as a failure, not as silence.
            result = HandshakeResult.Failure(client, server, HandshakeFailureReason.Other, $"openssl peer could not run: {e.Message}", viaOpenSsl: true);
        }

        _tally.Record(phase, result);
    }

    private SimulatedWorkload Pick()
    {
        lock (_randomLock)
            return _workloads[_random.Next(_workloads.Count)];
    }

    private SimulatedWorkload Other(SimulatedWorkload workload) =>
        _workloads[(IndexOf(workload) + 1) % _workloads.Count];

    private int IndexOf(SimulatedWorkload workload)
    {
        for (var i = 0; i < _workloads.Count; i++)
        {
            if (ReferenceEquals(_workloads[i], workload))
                return i;
        }

        return 0;
    }
}
