using System.Collections.Concurrent;
using Rotation.Core.Pki;
using Rotation.Drill.Estate;
using Rotation.Drill.Workloads;
using Rotation.Infra.Kubernetes.Simulator;
using Rotation.Infra.Kubernetes.Simulator.Seeding;

namespace Rotation.Drill.Kubernetes;

/// <summary>
/// The workloads of one simulated Kubernetes cluster, one namespace each (labelled istio-injection=enabled). They take
/// everything from the cluster as a sidecar would: trust from their namespace's root ConfigMap, polled every
/// <see cref="KubernetesEstateOptions.SyncInterval"/>; leaves from the CA istiod has loaded, re-issued at a random
/// 50–80% of the leaf lifetime. Nothing here writes the rotation's material: the adapter and the controllers do.
/// </summary>
public sealed class KubernetesBackedCluster : IAsyncDisposable
{
    public const string InjectionLabel = "istio-injection";

    private readonly IClusterMaterialSource _source;
    private readonly SimulatedClusterOptions _options;
    private readonly TimeSpan _syncInterval;
    private readonly TimeProvider _time;
    private readonly MandatoryWaitTracker _waits;
    private readonly RenewalLateness _renewals;
    private readonly LeafMinter _minter;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private readonly ConcurrentDictionary<string, string> _leafIssuerByWorkload = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly IIstioAgentSource? _agent;
    private readonly ConcurrentDictionary<string, TrustBundle> _certificateRoots = new(StringComparer.Ordinal);
    private TrustBundle? _pcdsBundle;
    private bool _pcds;
    private long _bundleGeneration;
    private string? _issuerSha;
    private object? _issuerSwitchWait;
    private DateTimeOffset _oldLeavesGoneBy;
    private object? _bundleWait;
    private bool _stopped;

    public KubernetesBackedCluster(
        string name,
        string trustDomain,
        SimulatedKubeCluster kube,
        IReadOnlyList<string> workloadNames,
        PeerAuthorization authorization,
        SimulatedClusterOptions options,
        TimeSpan syncInterval,
        TimeProvider timeProvider,
        MandatoryWaitTracker waits,
        IClusterMaterialSource? source = null,
        RenewalLateness? renewals = null)
    {
        options.Validate();
        Name = name;
        Kube = kube;
        _source = source ?? new IstioMaterialSource(kube);
        _agent = source is null ? new IstioAgentFacts(kube) : source as IIstioAgentSource;
        _options = options;
        _syncInterval = syncInterval;
        _time = timeProvider;
        _waits = waits;
        _renewals = renewals ?? new RenewalLateness();
        _minter = new LeafMinter(options, timeProvider);
        Workloads = workloadNames
            .Select(workload => new SimulatedWorkload(trustDomain, name, workload, authorization, options.ConnectionTimeout))
            .ToList();
    }

    public string Name { get; }
    public SimulatedKubeCluster Kube { get; }
    public IReadOnlyList<SimulatedWorkload> Workloads { get; }

    /// <summary>The last leaf request istiod could not answer (no CA loaded, or it cannot sign), if any.</summary>
    public string? LastRenewalError { get; private set; }

    /// <summary>A workload's namespace: the workload's own name.</summary>
    public static string NamespaceOf(SimulatedWorkload workload) => workload.Name;

    /// <summary>
    /// Creates the workload namespaces, waits until istiod has published a root into each and loaded a CA, then opens
    /// the listeners. <paramref name="stallTimeout"/> bounds a wait without progress: on two cores a 99-cluster estate
    /// publishes thousands of ConfigMaps while earlier clusters mint leaves, so a fixed bound from the start fails a
    /// healthy but busy istiod, while "no new namespace got its root for that long" still names a stuck one.
    /// </summary>
    public async Task StartAsync(TimeSpan stallTimeout, CancellationToken cancellationToken = default)
    {
        foreach (var workload in Workloads)
            Kube.Store.EnsureNamespace(NamespaceOf(workload), new Dictionary<string, string> { [InjectionLabel] = "enabled" });

        var published = 0;
        var progressAt = _time.GetUtcNow();
        while (true)
        {
            var ready = Workloads.Count(w => _source.BundleFor(NamespaceOf(w)) is not null);
            if (ready == Workloads.Count && _source.CurrentIssuer is not null)
                break;
            if (ready > published)
            {
                published = ready;
                progressAt = _time.GetUtcNow();
            }
            else if (_time.GetUtcNow() - progressAt > stallTimeout)
            {
                throw new TimeoutException($"cluster '{Name}': istiod published a root into {published} of {Workloads.Count} namespace(s) and {(_source.CurrentIssuer is null ? "loaded no CA" : "loaded a CA")}, with no progress for {stallTimeout.TotalSeconds:0.#}s ({Kube.Istio.LastDecision ?? "no decision"}; {Kube.Istio.CaLoadError ?? "no load error"})");
            }

            await Task.Delay(_syncInterval, _time, cancellationToken);
        }

        // The agent reads PROXY_CONFIG_XDS_AGENT once, at pod start, and its first answer from istiod brings the
        // certificate and the PCDS bundle together: the start mints each leaf once, not once for PCDS and again here.
        _pcds = _agent?.PcdsEnabled == true;
        if (_pcds)
            _pcdsBundle = _agent!.IstiodRoots;
        foreach (var workload in Workloads)
        {
            // Minting is CPU-bound: a signal mid-start must not wait for the rest of the cluster's leaves.
            cancellationToken.ThrowIfCancellationRequested();
            IssueLeaf(workload);
        }

        SyncTrust();
        foreach (var workload in Workloads)
            workload.Start();

        foreach (var workload in Workloads)
            _loops.Add(RenewLoopAsync(workload, _stopping.Token));
        _loops.Add(SyncLoopAsync(_stopping.Token));
    }

    /// <summary>
    /// Stops the cluster's clocks (leaf renewals, bundle propagation) at once, without waiting; the drill calls it when
    /// it is cancelled, so hundreds of CPU-bound renewals stop competing with the unwinding. Dispose still cleans up.
    /// </summary>
    public void Halt()
    {
        lock (_lock)
        {
            if (_stopped)
                return;
        }

        _stopping.Cancel();
    }

    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            if (_stopped)
                return;
            _stopped = true;
        }

        await _stopping.CancelAsync();
        await Task.WhenAll(_loops);
        foreach (var workload in Workloads)
            await workload.DisposeAsync();
        _stopping.Dispose();
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

            SyncTrust();
            WatchIssuer();
            CloseIssuerSwitchWaitIfSettled();
        }
    }

    /// <summary>
    /// Istio sidecars (<see cref="IIstioAgentSource"/>): a PCDS push when istiod's roots change (and a re-signed
    /// certificate with it); without PCDS nothing until the next certificate refresh. Other meshes: the namespace's
    /// published bundle.
    /// </summary>
    private void SyncTrust()
    {
        if (_agent is not null)
        {
            SyncAgentTrust();
            return;
        }

        var behind = false;
        foreach (var workload in Workloads)
        {
            TrustBundle? published;
            try
            {
                published = _source.BundleFor(NamespaceOf(workload));
            }
            catch (PkiException)
            {
                // A torn or garbled ConfigMap: a sidecar keeps the roots it has.
                continue;
            }

            if (published is null || workload.TrustStore.Bundle.SetEquals(published))
                continue;
            behind = true;
            workload.UseTrustBundle(published, Interlocked.Increment(ref _bundleGeneration));
        }

        var now = _time.GetUtcNow();
        lock (_lock)
        {
            // A change reached the workloads: the wait it imposed is the sync that found it (the publish lag is istiod's).
            if (behind && _bundleWait is null)
                _bundleWait = _waits.Open(now - _syncInterval);
            if (!behind && _bundleWait is not null)
            {
                _waits.Close(_bundleWait, now);
                _bundleWait = null;
            }
        }
    }

    /// <summary>Notices istiod switching CA: from then until every leaf comes from the new one is a wait the estate imposes.</summary>
    private void WatchIssuer()
    {
        var sha = _source.CurrentIssuer?.Issuer.Certificate.Sha256;
        lock (_lock)
        {
            if (sha is null || sha == _issuerSha)
                return;
            var first = _issuerSha is null;
            _issuerSha = sha;
            if (first)
                return;
            var now = _time.GetUtcNow();
            if (_issuerSwitchWait is not null)
                _waits.Close(_issuerSwitchWait, now);
            _issuerSwitchWait = _waits.Open(now);
            // A leaf istiod signed with the old CA just before the switch lives a full lifetime (TTL plus the second
            // LeafMinter adds for whole-second certificate times).
            _oldLeavesGoneBy = now + _options.LeafTtl + TimeSpan.FromSeconds(1);
        }
    }

    private void SyncAgentTrust()
    {
        var now = _time.GetUtcNow();
        var served = _agent!.IstiodRoots;
        if (_pcds && served is not null && (_pcdsBundle is null || !_pcdsBundle.SetEquals(served)))
        {
            _pcdsBundle = served;
            foreach (var workload in Workloads)
            {
                if (_source.CurrentIssuer is not null)
                    IssueLeaf(workload);   // UpdateConfigTrustBundle: new ROOTCA and a re-signed certificate
            }
        }

        var behind = served is not null && Workloads.Any(w => !w.TrustStore.Bundle.SetEquals(served));
        lock (_lock)
        {
            if (behind && _bundleWait is null)
                _bundleWait = _waits.Open(now - _syncInterval);
            if (!behind && _bundleWait is not null)
            {
                _waits.Close(_bundleWait, now);
                _bundleWait = null;
            }
        }
    }

    /// <summary>ROOTCA as istio-agent merges it: the PCDS bundle plus the roots of the last certificate answer.</summary>
    private void ApplyAgentTrust(SimulatedWorkload workload)
    {
        var fromCertificate = _certificateRoots.TryGetValue(workload.Location, out var roots) ? roots : TrustBundle.Empty;
        var merged = TrustBundle.Of((_pcdsBundle ?? TrustBundle.Empty).Concat(fromCertificate).DistinctBy(c => c.Sha256));
        if (merged.Fingerprints.Count > 0 && !workload.TrustStore.Bundle.SetEquals(merged))
            workload.UseTrustBundle(merged, Interlocked.Increment(ref _bundleGeneration));
    }

    private void IssueLeaf(SimulatedWorkload workload)
    {
        var issuer = _source.CurrentIssuer ?? throw new PkiException($"cluster '{Name}': istiod has no CA loaded");
        workload.UseCredential(_minter.Mint(workload, issuer));
        if (_agent?.IstiodRoots is { } served)
        {
            _certificateRoots[workload.Location] = served;
            ApplyAgentTrust(workload);
        }

        var sha = issuer.Issuer.Certificate.Sha256;
        _leafIssuerByWorkload[workload.Location] = sha;
        lock (_lock)
            _issuerSha ??= sha;

        CloseIssuerSwitchWaitIfSettled();
    }

    /// <summary>
    /// A switch settles when every workload holds a leaf from the new CA and any leaf the old CA could have signed
    /// has expired: Istio keeps leaves in the proxies' memory, so no engine can know they are gone any sooner.
    /// </summary>
    private void CloseIssuerSwitchWaitIfSettled()
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (_issuerSwitchWait is null || _issuerSha is not { } current)
                return;
            var reissued = Workloads.All(w => _leafIssuerByWorkload.TryGetValue(w.Location, out var s) && s == current);
            if (reissued && now >= _oldLeavesGoneBy)
            {
                _waits.Close(_issuerSwitchWait, now);
                _issuerSwitchWait = null;
            }
        }
    }

    private Task RenewLoopAsync(SimulatedWorkload workload, CancellationToken cancellationToken) =>
        LeafRenewal.RunAsync(workload.Location, _options, _time, _renewals, () => IssueLeaf(workload), error => LastRenewalError = $"{workload.Location}: {error}", cancellationToken);
}
