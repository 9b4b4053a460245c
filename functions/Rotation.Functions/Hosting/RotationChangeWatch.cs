using System.Collections.Concurrent;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Rotation.Core.Domain;
using Rotation.Core.Ports;
using Rotation.Functions.Orchestrations;
using Rotation.Infra.Kubernetes.Clusters;

namespace Rotation.Functions.Hosting;

/// <summary>
/// One active rotation's clusters under watch: each registered Kubernetes cluster's <see cref="ClusterConnection.Changes"/>
/// (the adapter's <c>ClusterChangeWatch</c>: ConfigMaps, Secrets, pods, Deployments, Bundles, Certificates, resumed
/// from resourceVersion, re-listed on 410) feeds one signal; a change, debounced, becomes one
/// <see cref="OrchestrationEvents.EstateChanged"/> event on the rotation's orchestration (instance id = rotation id).
/// Events are raised only while a gate that a change can release holds, so a long leaf or approval wait does not fill
/// the orchestration's event buffer.
/// </summary>
internal sealed partial class RotationChangeWatch : IAsyncDisposable
{
    private static readonly TimeSpan PendingPoll = TimeSpan.FromSeconds(1);
    private readonly IStateStore _store;
    private readonly DurableClientSource _clients;
    private readonly EstateWatchOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ChangeSignal _changes = new();
    private readonly ConcurrentDictionary<string, byte> _changedClusters = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Name, long Version), WatchedCluster> _clusters = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private long _raised;

    public RotationChangeWatch(string rotationId, string domain, IStateStore store, DurableClientSource clients, EstateWatchOptions options, TimeProvider time, ILogger logger)
    {
        RotationId = rotationId;
        Domain = domain;
        _store = store;
        _clients = clients;
        _options = options;
        _time = time;
        _logger = logger;
        _loop = Task.Run(() => RelayAsync(_stopping.Token));
    }

    public string RotationId { get; }
    public string Domain { get; }

    /// <summary>Events raised on the orchestration so far.</summary>
    public long Raised => Interlocked.Read(ref _raised);

    /// <summary>The clusters watched now, by name.</summary>
    public IReadOnlyList<string> Clusters
    {
        get
        {
            lock (_clusters)
                return [.. _clusters.Keys.Select(k => k.Name).Order(StringComparer.Ordinal)];
        }
    }

    /// <summary>True once the record said the rotation is over (or gone): the relay drops this watch.</summary>
    public bool Ended { get; private set; }

    public static bool Watchable(ClusterRegistration cluster) =>
        cluster.Connection is ClusterConnectionKind.Kubeconfig or ClusterConnectionKind.InCluster or ClusterConnectionKind.Aks;

    /// <summary>Watches exactly <paramref name="registrations"/>: new clusters (or new registration versions) connect, removed ones stop.</summary>
    public async Task UpdateAsync(IReadOnlyList<ClusterRegistration> registrations, ClusterConnectionFactory factory, CancellationToken cancellationToken)
    {
        var wanted = registrations.Where(Watchable).ToDictionary(c => (c.Name, c.Version));
        List<WatchedCluster> removed;
        lock (_clusters)
        {
            removed = [.. _clusters.Where(c => !wanted.ContainsKey(c.Key)).Select(c => c.Value)];
            foreach (var gone in removed)
                _clusters.Remove((gone.Name, gone.Version));
        }

        foreach (var gone in removed)
            await gone.DisposeAsync();

        foreach (var (key, registration) in wanted)
        {
            lock (_clusters)
            {
                if (_clusters.ContainsKey(key))
                    continue;
            }

            ClusterConnection connection;
            try
            {
                connection = await factory.ConnectAsync(registration, cancellationToken);
            }
            catch (Exception ex) when (ex is TargetUnavailableException or DomainException)
            {
                // Its gates hold on it by name and re-check on their timers; the next discovery tries again.
                LogNotWatched(_logger, RotationId, registration.Name, ex.Message);
                continue;
            }

            var watched = new WatchedCluster(registration.Name, registration.Version, connection, this);
            lock (_clusters)
                _clusters[key] = watched;
            LogWatching(_logger, RotationId, registration.Name);
        }
    }

    private void Changed(string cluster)
    {
        _changedClusters[cluster] = 0;
        _changes.Raise();
    }

    private async Task RelayAsync(CancellationToken stopping)
    {
        var seen = _changes.Version;
        try
        {
            while (!stopping.IsCancellationRequested && !Ended)
            {
                await _changes.WaitAfterAsync(seen, stopping);
                // Everything that changes within the debounce rides on one event.
                if (_options.Debounce > TimeSpan.Zero)
                    await Task.Delay(_options.Debounce, _time, stopping);
                seen = await RaiseWhenGatedAsync(stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // stopping
        }
    }

    /// <summary>
    /// Raises the event once a gate that a change can release holds on the current phase; until then (a step is running,
    /// the phase waits for its clock or a person) the change is kept for <see cref="EstateWatchOptions.PendingWindow"/>,
    /// then dropped (the next step reads the evidence anyway). Returns the change version this covered.
    /// </summary>
    private async Task<long> RaiseWhenGatedAsync(CancellationToken stopping)
    {
        var keepUntil = _time.GetUtcNow() + _options.PendingWindow;
        while (true)
        {
            // Taken before the record is read: a change after this is covered by the next event.
            var seen = _changes.Version;
            var record = await _store.FindRotationAsync(RotationId, stopping);
            if (record is null || !record.IsActive)
            {
                Ended = true;
                return seen;
            }

            if (record.Gate is { WakesOnChange: true } gate && gate.Phase == record.CurrentPhase)
            {
                await RaiseAsync(stopping);
                return seen;
            }

            if (_time.GetUtcNow() >= keepUntil)
                return seen;
            await Task.Delay(PendingPoll, _time, stopping);
        }
    }

    private async Task RaiseAsync(CancellationToken stopping)
    {
        var clusters = _changedClusters.Keys.Order(StringComparer.Ordinal).ToList();
        foreach (var cluster in clusters)
            _changedClusters.TryRemove(cluster, out _);
        if (_clients.Current is not { } client)
        {
            LogNoClient(_logger, RotationId);
            return;
        }

        try
        {
            await client.RaiseEventAsync(RotationId, OrchestrationEvents.EstateChanged, new EstateChangedSignal(_time.GetUtcNow(), clusters), stopping);
            Interlocked.Increment(ref _raised);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stopping.IsCancellationRequested)
        {
            // The orchestration is not there (yet, or any more) or the backend did not answer: the gate's timer still
            // bounds the wait, and the next change raises again.
            LogRaiseFailed(_logger, RotationId, ex.GetType().Name, ex.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _loop;
        List<WatchedCluster> clusters;
        lock (_clusters)
        {
            clusters = [.. _clusters.Values];
            _clusters.Clear();
        }

        foreach (var cluster in clusters)
            await cluster.DisposeAsync();
        _stopping.Dispose();
    }

    /// <summary>One cluster's connection and its watch; a pump turns each of its changes into the rotation's signal.</summary>
    private sealed class WatchedCluster : IAsyncDisposable
    {
        private readonly ClusterConnection _connection;
        private readonly CancellationTokenSource _stopping = new();
        private readonly Task _pump;

        public WatchedCluster(string name, long version, ClusterConnection connection, RotationChangeWatch owner)
        {
            Name = name;
            Version = version;
            _connection = connection;
            var signal = connection.Changes(); // starts the cluster's watches
            _pump = PumpAsync(signal, owner, _stopping.Token);
        }

        public string Name { get; }
        public long Version { get; }

        private async Task PumpAsync(ChangeSignal signal, RotationChangeWatch owner, CancellationToken stopping)
        {
            // From zero: the watches' first list counts as a change, so a rotation found after a restart looks once.
            var seen = 0L;
            try
            {
                while (!stopping.IsCancellationRequested)
                {
                    await signal.WaitAfterAsync(seen, stopping);
                    seen = signal.Version;
                    owner.Changed(Name);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // stopping
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stopping.CancelAsync();
            await _pump;
            // Stops the watch loops, then the client.
            _connection.Dispose();
            _stopping.Dispose();
        }
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Estate watch: watching cluster {Cluster} for rotation {RotationId}")]
    private static partial void LogWatching(ILogger logger, string rotationId, string cluster);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "Estate watch: cannot watch cluster {Cluster} for rotation {RotationId}: {Reason}")]
    private static partial void LogNotWatched(ILogger logger, string rotationId, string cluster, string reason);

    [LoggerMessage(EventId = 402, Level = LogLevel.Warning, Message = "Estate watch: a change for rotation {RotationId} was not raised: no Durable client yet (the EstateWatch timer hands one over)")]
    private static partial void LogNoClient(ILogger logger, string rotationId);

    [LoggerMessage(EventId = 403, Level = LogLevel.Warning, Message = "Estate watch: raising estate-changed on {RotationId} failed: {Type}: {Reason}")]
    private static partial void LogRaiseFailed(ILogger logger, string rotationId, string type, string reason);
}
