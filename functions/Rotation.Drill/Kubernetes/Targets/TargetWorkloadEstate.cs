using System.Collections.Concurrent;
using Rotation.Drill.Estate;
using Rotation.Drill.Workloads;

namespace Rotation.Drill.Kubernetes.Targets;

/// <summary>
/// Drill workloads over any Kubernetes target's simulated cluster: each workload is a real mTLS endpoint
/// (<see cref="SimulatedWorkload"/>) whose trust and leaf are whatever its <see cref="IWorkloadFeed"/> reads from the
/// cluster, polled every sync interval. It counts the processes (pod instances) each workload ran as, so a test can
/// compare restarts with what upstream requires. Run a <see cref="Drills.DrillRunner"/> over it.
/// </summary>
public sealed class TargetWorkloadEstate : IWorkloadEstate, IAsyncDisposable
{
    private readonly IReadOnlyDictionary<string, IWorkloadFeed> _feeds;
    private readonly TimeSpan _syncInterval;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<string, List<string>> _instances = new(StringComparer.Ordinal);
    private Task _loop = Task.CompletedTask;
    private long _generation;

    private TargetWorkloadEstate(IReadOnlyList<SimulatedWorkload> workloads, IReadOnlyDictionary<string, IWorkloadFeed> feeds, TimeSpan syncInterval, TimeProvider time)
    {
        Workloads = workloads;
        _feeds = feeds;
        _syncInterval = syncInterval;
        _time = time;
    }

    public IReadOnlyList<SimulatedWorkload> Workloads { get; }
    public int ClusterCount => 1;
    public MandatoryWaitTracker MandatoryWaits { get; } = new();

    /// <summary>Empty: these workloads get leaves from the simulated cluster's controllers, not from a renewal clock of their own.</summary>
    public RenewalLateness Renewals { get; } = new();

    /// <summary>The last read that found nothing to hand a workload, or failed (for a test's message).</summary>
    public string? LastProblem { get; private set; }

    /// <summary>Creates one workload per name (SPIFFE id spiffe://DOMAIN/ns/CLUSTER/sa/NAME), waits until every feed hands it material, then opens the listeners.</summary>
    public static async Task<TargetWorkloadEstate> StartAsync(
        string trustDomain,
        string cluster,
        IReadOnlyList<string> workloadNames,
        Func<SimulatedWorkload, IWorkloadFeed> feedFor,
        TimeSpan syncInterval,
        TimeSpan startTimeout,
        TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default)
    {
        var time = timeProvider ?? TimeProvider.System;
        var authorization = new PeerAuthorization();
        var workloads = workloadNames.Select(n => new SimulatedWorkload(trustDomain, cluster, n, authorization)).ToList();
        foreach (var workload in workloads)
            authorization.Allow(workload.SpiffeId);
        var estate = new TargetWorkloadEstate(workloads, workloads.ToDictionary(w => w.Location, feedFor, StringComparer.Ordinal), syncInterval, time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(startTimeout);
        try
        {
            while (!estate.SyncAll())
                await Task.Delay(syncInterval, time, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await estate.DisposeAsync();
            throw new TimeoutException($"the cluster handed workloads no material within {startTimeout.TotalSeconds:0.#}s: {estate.LastProblem}");
        }

        foreach (var workload in workloads)
            workload.Start();
        estate._loop = estate.SyncLoopAsync(estate._stopping.Token);
        return estate;
    }

    /// <summary>The pod instances a workload ran as, in order (the first is the one it started with).</summary>
    public IReadOnlyList<string> InstancesOf(SimulatedWorkload workload) =>
        _instances.TryGetValue(workload.Location, out var seen) ? [.. seen] : [];

    /// <summary>Times the workload's process was replaced since the estate started.</summary>
    public int RestartsOf(SimulatedWorkload workload) => Math.Max(0, InstancesOf(workload).Count - 1);

    private bool SyncAll()
    {
        var all = true;
        foreach (var workload in Workloads)
        {
            WorkloadMaterial? material;
            try
            {
                material = _feeds[workload.Location].Read(workload);
            }
            catch (Rotation.Core.Pki.PkiException e)
            {
                // A torn or garbled object: the consumer keeps what it has.
                LastProblem = $"{workload.Location}: {e.Message}";
                all = false;
                continue;
            }

            if (material is null)
            {
                LastProblem ??= $"{workload.Location}: nothing handed out yet";
                all = false;
                continue;
            }

            if (material.Instance is { } instance)
            {
                var seen = _instances.GetOrAdd(workload.Location, _ => []);
                lock (seen)
                {
                    if (seen.Count == 0 || seen[^1] != instance)
                        seen.Add(instance);
                }
            }

            if (!ReferenceEquals(workload.Credential, material.Credential))
                workload.UseCredential(material.Credential);
            if (!workload.TrustStore.Bundle.SetEquals(material.Trust))
                workload.UseTrustBundle(material.Trust, Interlocked.Increment(ref _generation));
        }

        return all;
    }

    private async Task SyncLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_syncInterval, _time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            SyncAll();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _loop;
        foreach (var workload in Workloads)
            await workload.DisposeAsync();
        _stopping.Dispose();
    }
}
