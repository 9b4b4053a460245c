using Rotation.Drill.Estate;
using Rotation.Drill.OpenSsl;
using Rotation.Drill.Traffic;

namespace Rotation.Drill.Drills;

/// <summary>
/// Runs a rotation (any delegate: the engine, a manual sequence, a negative control) over a simulated estate while
/// handshakes flow between its workloads the whole time, and reports every handshake per phase.
/// </summary>
public sealed class DrillRunner
{
    public const string BeforePhase = "Before";
    public const string AfterPhase = "After";

    private readonly IWorkloadEstate _estate;
    private readonly DrillOptions _options;
    private readonly TimeProvider _time;

    public DrillRunner(IWorkloadEstate estate, DrillOptions? options = null, TimeProvider? timeProvider = null)
    {
        _estate = estate;
        _options = options ?? new DrillOptions();
        _time = timeProvider ?? TimeProvider.System;
    }

    public async Task<DrillReport> RunAsync(Func<CancellationToken, Task> rotation, IDrillPhaseSource phases, CancellationToken cancellationToken = default)
    {
        var tally = new HandshakeTally();
        var clock = new PhaseClock();
        string? fixedPhase = null;
        string CurrentPhase()
        {
            var name = Volatile.Read(ref fixedPhase) ?? phases.CurrentPhase;
            if (clock.Observe(name, _time.GetUtcNow()))
            {
                tally.Touch(name);
                _options.PhaseStarted?.Invoke(name);
            }
            return name;
        }

        var traffic = _options.Traffic;
        // Without an openssl binary the drill still runs; the report then shows openSslHandshakes 0.
        var openSsl = traffic.OpenSslInterval is null || !OpenSslPeer.IsAvailable(traffic.OpenSslExecutable)
            ? null
            : new OpenSslPeer(traffic.OpenSslExecutable);
        var generator = new TrafficGenerator(_estate.Workloads, traffic, tally, CurrentPhase, _time, openSsl);

        if (_options.CheckBeforeAndAfter)
        {
            Volatile.Write(ref fixedPhase, BeforePhase);
            await CheckRoundAsync(generator, cancellationToken);
            Volatile.Write(ref fixedPhase, null);
        }

        var started = _time.GetUtcNow();
        Exception? failure = null;
        void OnPhaseChanged(string _) => CurrentPhase();
        phases.PhaseChanged += OnPhaseChanged;
        using (var stop = new CancellationTokenSource())
        {
            CurrentPhase();
            var flowing = generator.RunUntilStoppedAsync(stop.Token, cancellationToken);
            var watching = WatchPhasesAsync(generator, CurrentPhase, stop.Token, cancellationToken);
            try
            {
                await rotation(cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                failure = e;
            }
            finally
            {
                await stop.CancelAsync();
                try
                {
                    await Task.WhenAll(flowing, watching);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // The caller cancelled the drill; its exception is the one that matters.
                }
            }
        }

        phases.PhaseChanged -= OnPhaseChanged;
        cancellationToken.ThrowIfCancellationRequested();
        var finished = _time.GetUtcNow();

        if (_options.CheckBeforeAndAfter)
        {
            Volatile.Write(ref fixedPhase, AfterPhase);
            CurrentPhase();
            await CheckRoundAsync(generator, cancellationToken);
        }

        clock.Stop(_time.GetUtcNow());
        return BuildReport(tally, clock, generator, started, finished, failure);
    }

    private static async Task CheckRoundAsync(TrafficGenerator generator, CancellationToken cancellationToken)
    {
        await generator.RunRoundAsync(CancellationToken.None, cancellationToken);
        await generator.RunOpenSslCheckAsync(cancellationToken);
    }

    /// <summary>
    /// Reads the phase often enough to time it, and starts openssl peers at each new phase and every interval.
    /// Checks run beside each other (up to two) so a short phase still gets one started while it is current.
    /// </summary>
    private async Task WatchPhasesAsync(TrafficGenerator generator, Func<string> currentPhase, CancellationToken stop, CancellationToken cancellationToken)
    {
        const int maxChecksInFlight = 2;
        var interval = _options.Traffic.OpenSslInterval;
        var checks = new List<Task>();
        string? lastChecked = null;
        var lastCheckAt = DateTimeOffset.MinValue;
        while (!stop.IsCancellationRequested)
        {
            checks.RemoveAll(c => c.IsCompleted);
            var phase = currentPhase();
            var now = _time.GetUtcNow();
            if (interval is { } every && checks.Count < maxChecksInFlight && (phase != lastChecked || now - lastCheckAt >= every))
            {
                lastChecked = phase;
                lastCheckAt = now;
                checks.Add(generator.RunOpenSslCheckAsync(cancellationToken));
                continue;
            }

            try
            {
                await Task.Delay(_options.PhasePollInterval, _time, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
        }

        await Task.WhenAll(checks);
    }

    private DrillReport BuildReport(HandshakeTally tally, PhaseClock clock, TrafficGenerator generator, DateTimeOffset started, DateTimeOffset finished, Exception? failure)
    {
        var phases = tally.Snapshot()
            .Select(p => new DrillPhaseReport(p.Name, p.Handshakes, p.Failures, (long)clock.DurationOf(p.Name).TotalMilliseconds, p.FailureReasons, p.OpenSslHandshakes))
            .ToList();
        // Whole milliseconds first, then the difference, so wall = mandatory + overhead holds exactly in the report.
        var wallMs = (long)(finished - started).TotalMilliseconds;
        var mandatoryMs = Math.Min(wallMs, (long)_estate.MandatoryWaits.Total(started, finished).TotalMilliseconds);
        return new DrillReport
        {
            TotalHandshakes = phases.Sum(p => p.Handshakes),
            TotalFailures = phases.Sum(p => p.Failures),
            Phases = phases,
            WallMs = wallMs,
            MandatoryWaitMs = mandatoryMs,
            OverheadMs = wallMs - mandatoryMs,
            Clusters = _estate.ClusterCount,
            Workloads = _estate.Workloads.Count,
            Sampling = generator.Sampling,
            OpenSslHandshakes = phases.Sum(p => p.OpenSslHandshakes),
            Rounds = generator.Rounds,
            FailureExamples = tally.FailureExamples().Select(f => $"[{f.Reason}] {f.Client} -> {f.Server}: {f.Detail}").ToList(),
            Error = failure?.Message,
            Renewals = _estate.Renewals.Snapshot(),
        };
    }
}
