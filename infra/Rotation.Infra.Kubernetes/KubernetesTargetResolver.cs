using System.Collections.Concurrent;
using Rotation.Core.Domain;
using Rotation.Core.Ports;
using Rotation.Infra.Files;
using Rotation.Infra.Files.Endpoints;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Targets;

namespace Rotation.Infra.Kubernetes;

/// <summary>
/// The targets of a domain: every target of every Kubernetes cluster registered to it. Connections are made with
/// bounded concurrency and kept per cluster registration version. A cluster that cannot be connected to still yields
/// its targets, as ones that report themselves unavailable, so the rotation holds on it by name.
/// </summary>
public sealed class KubernetesTargetResolver : ITargetResolver, ITargetChangeSignals, IDisposable
{
    private readonly IStateStore _store;
    private readonly ClusterConnectionFactory _factory;
    private readonly IKeyCustody? _custody;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<(string Name, long Version), ClusterConnection> _connections = new();
    private readonly ConcurrentDictionary<(string Name, long Version), string> _domains = new();

    /// <param name="custody">Signs the throwaway leaves of endpoint probes; without it a target listing endpoints reports itself unavailable.</param>
    public KubernetesTargetResolver(IStateStore store, ClusterConnectionFactory factory, IKeyCustody? custody = null, TimeProvider? time = null)
    {
        _store = store;
        _factory = factory;
        _custody = custody;
        _time = time ?? TimeProvider.System;
    }

    public async Task<IReadOnlyList<IRotationTarget>> ResolveAsync(string domain, CancellationToken cancellationToken = default)
    {
        var clusters = (await _store.ListClustersAsync(domain, cancellationToken))
            .Where(c => c.Connection != ClusterConnectionKind.Simulated)
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToList();
        var resolved = await BoundedFanOut.RunAsync(clusters, _factory.Options.MaxClusterConcurrency, ResolveClusterAsync, cancellationToken);
        return resolved.SelectMany(r => r.Result ?? []).ToList();
    }

    /// <summary>Connects to the one cluster the target belongs to (names are "cluster/kind"), not to every cluster of the domain.</summary>
    public async Task<IRotationTarget?> ResolveOneAsync(string domain, string target, CancellationToken cancellationToken = default)
    {
        var clusterName = target.Split('/')[0];
        var cluster = (await _store.ListClustersAsync(domain, cancellationToken))
            .FirstOrDefault(c => c.Connection != ClusterConnectionKind.Simulated && c.Name == clusterName);
        return cluster is null ? null : (await ResolveClusterAsync(cluster, cancellationToken)).FirstOrDefault(t => t.Name == target);
    }

    private async Task<IReadOnlyList<IRotationTarget>> ResolveClusterAsync(ClusterRegistration cluster, CancellationToken cancellationToken)
    {
        if (cluster.Connection == ClusterConnectionKind.Host)
        {
            return cluster.Targets
                .Select(t => WithEndpoints(cluster, t, new FilesTarget($"{cluster.Name}/{t.Kind}", FilesTargetOptions.From(t.Options), new StoreDomainMaterial(_store, cluster.Domain))))
                .ToList();
        }

        ClusterConnection connection;
        try
        {
            connection = await ConnectionAsync(cluster, cancellationToken);
        }
        catch (Exception ex) when (ex is TargetUnavailableException or DomainException)
        {
            var reason = ex is TargetUnavailableException unavailable ? unavailable.Reason : $"cluster '{cluster.Name}': {ex.Message}";
            return cluster.Targets.Select(t => (IRotationTarget)new UnavailableTarget($"{cluster.Name}/{t.Kind}", reason)).ToList();
        }

        return cluster.Targets.Select(t => WithEndpoints(cluster, t, TargetCatalog.Create(connection, t))).ToList();
    }

    private IRotationTarget WithEndpoints(ClusterRegistration cluster, TargetSpec spec, IRotationTarget target) =>
        EndpointEvidenceTarget.Wrap(
            target,
            EndpointEvidenceOptions.From(spec.Options),
            _custody is null ? new NoProbeIssuers() : new DomainProbeIssuers(_store, _custody, cluster.Domain, _time),
            cluster.Domain,
            time: _time);

    private sealed class NoProbeIssuers : IProbeIssuers
    {
        public Task<IReadOnlyList<ProbeIssuer>> LoadAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<ProbeIssuer>>([]);
    }

    private async Task<ClusterConnection> ConnectionAsync(ClusterRegistration cluster, CancellationToken cancellationToken)
    {
        var key = (cluster.Name, cluster.Version);
        if (_connections.TryGetValue(key, out var cached))
            return cached;
        var connection = await _factory.ConnectAsync(cluster, cancellationToken);
        _domains[key] = cluster.Domain;
        if (_connections.TryAdd(key, connection))
            return connection;
        connection.Dispose();
        return _connections[key];
    }

    /// <summary>
    /// The change signals of the domain's clusters connected so far (the first step connects them): each cluster's
    /// watches on the objects its gates read. Watches start on the first mark; a cluster not connected yet, or with
    /// watches turned off, adds nothing and its gates re-check on the backoff.
    /// </summary>
    public ChangeMark Mark(string domain) => new(_factory.Options.WatchForChanges
        ? _connections.Where(c => _domains.TryGetValue(c.Key, out var d) && d == domain).Select(c => c.Value.Changes())
        : []);

    public void Dispose()
    {
        foreach (var connection in _connections.Values)
            connection.Dispose();
        _connections.Clear();
    }
}
