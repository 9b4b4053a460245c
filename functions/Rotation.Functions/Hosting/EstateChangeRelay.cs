using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rotation.Core.Ports;
using Rotation.Infra.Kubernetes.Clusters;

namespace Rotation.Functions.Hosting;

/// <summary>
/// Wakes a Durable gate when the estate changes, as the CLI's gates wake: every
/// <see cref="EstateWatchOptions.DiscoveryInterval"/> (and on each EstateWatch timer run) it reads the active rotations
/// and their domains' registered clusters from the store, watches each cluster with the Kubernetes adapter's change
/// watch (<see cref="RotationChangeWatch"/>), and stops watching when a rotation ends or a cluster is removed. It runs
/// in whichever worker process is alive: on Flex Consumption that is not always the case, so the gate's durable timer
/// still bounds every wait.
/// </summary>
public sealed partial class EstateChangeRelay(
    IStateStore store,
    ClusterConnectionFactory clusters,
    DurableClientSource clients,
    IOptions<EstateWatchOptions> options,
    TimeProvider time,
    ILogger<EstateChangeRelay> logger) : BackgroundService
{
    private readonly Dictionary<string, RotationChangeWatch> _watches = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _discovering = new(1, 1);

    /// <summary>False when <see cref="EstateWatchOptions.Enabled"/> or the adapter's WatchForChanges is off.</summary>
    public bool Enabled => options.Value.Enabled && clusters.Options.WatchForChanges;

    /// <summary>Rotation id → clusters watched, now (diagnostics and tests).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Watching
    {
        get
        {
            lock (_watches)
                return _watches.ToDictionary(w => w.Key, w => w.Value.Clusters, StringComparer.Ordinal);
        }
    }

    /// <summary>Events raised for <paramref name="rotationId"/> by its current watch (0 when not watched).</summary>
    public long Raised(string rotationId)
    {
        lock (_watches)
            return _watches.TryGetValue(rotationId, out var watch) ? watch.Raised : 0;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            LogDisabled(logger);
            return;
        }

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await DiscoverAsync(stoppingToken);
                await Task.Delay(options.Value.DiscoveryInterval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
        finally
        {
            await StopAllAsync();
        }
    }

    /// <summary>One discovery pass: watch what is active, stop what is not. A failure is logged; the next pass tries again.</summary>
    public async Task DiscoverAsync(CancellationToken cancellationToken)
    {
        // Nothing to raise events through yet (no function has handed a client over): watching would be wasted.
        if (!Enabled || clients.Current is null)
            return;
        await _discovering.WaitAsync(cancellationToken);
        try
        {
            var active = (await store.ListRotationsAsync(null, cancellationToken)).Where(r => r.IsActive).ToDictionary(r => r.Id, StringComparer.Ordinal);
            List<RotationChangeWatch> ended;
            lock (_watches)
            {
                ended = [.. _watches.Values.Where(w => w.Ended || !active.ContainsKey(w.RotationId))];
                foreach (var watch in ended)
                    _watches.Remove(watch.RotationId);
            }

            foreach (var watch in ended)
            {
                await watch.DisposeAsync();
                LogStopped(logger, watch.RotationId);
            }

            foreach (var rotation in active.Values)
            {
                RotationChangeWatch? watch;
                lock (_watches)
                {
                    if (!_watches.TryGetValue(rotation.Id, out watch))
                    {
                        watch = new RotationChangeWatch(rotation.Id, rotation.Domain, store, clients, options.Value, time, logger);
                        _watches[rotation.Id] = watch;
                    }
                }

                await watch.UpdateAsync(await store.ListClustersAsync(rotation.Domain, cancellationToken), clusters, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogDiscoveryFailed(logger, ex.GetType().Name, ex.Message);
        }
        finally
        {
            _discovering.Release();
        }
    }

    private async Task StopAllAsync()
    {
        List<RotationChangeWatch> all;
        lock (_watches)
        {
            all = [.. _watches.Values];
            _watches.Clear();
        }

        foreach (var watch in all)
            await watch.DisposeAsync();
    }

    public override void Dispose()
    {
        _discovering.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 410, Level = LogLevel.Information, Message = "Estate watch is off (Rotation:EstateWatch:Enabled or the adapter's WatchForChanges): Durable gates re-check on their timers alone")]
    private static partial void LogDisabled(ILogger logger);

    [LoggerMessage(EventId = 411, Level = LogLevel.Information, Message = "Estate watch: rotation {RotationId} ended; its clusters are no longer watched")]
    private static partial void LogStopped(ILogger logger, string rotationId);

    [LoggerMessage(EventId = 412, Level = LogLevel.Warning, Message = "Estate watch: discovery failed: {Type}: {Reason}")]
    private static partial void LogDiscoveryFailed(ILogger logger, string type, string reason);
}
