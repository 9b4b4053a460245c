using System.Collections.Concurrent;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Drill.Workloads;

namespace Rotation.Drill.Estate;

/// <summary>
/// A mesh cluster behaving like Istio with multi-root trust. Writes land on the control plane at once; bundles
/// then reach each workload after a propagation delay with jitter, and each workload re-issues its leaf from the
/// control plane's CURRENT issuer at a random 50–80% of the leaf lifetime. Reports show what the workloads have
/// actually loaded, not what the control plane holds.
/// </summary>
public sealed class SimulatedCluster : IRotationTarget, IClusterMaterialSource, IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly SimulatedClusterOptions _options;
    private readonly TimeProvider _time;
    private readonly MandatoryWaitTracker _waits;
    private readonly RenewalLateness _renewals;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _renewLoops = [];
    private readonly ConcurrentDictionary<string, string> _leafIssuerByWorkload = new(StringComparer.Ordinal);
    private readonly List<string> _effectiveWrites = [];
    private readonly LeafMinter _minter;
    private readonly BundlePropagation _propagation;
    private IssuerMaterial _issuer;
    private TrustBundle _bundle;
    private long _bundleGeneration = 1;
    private object? _issuerSwitchWait;
    private bool _stopped;

    public SimulatedCluster(
        string name,
        string trustDomain,
        IReadOnlyList<string> workloadNames,
        IssuerMaterial initialIssuer,
        PeerAuthorization authorization,
        SimulatedClusterOptions options,
        TimeProvider timeProvider,
        MandatoryWaitTracker waits,
        RenewalLateness? renewals = null)
    {
        options.Validate();
        Name = name;
        _issuer = initialIssuer;
        _bundle = initialIssuer.Bundle;
        _options = options;
        _time = timeProvider;
        _waits = waits;
        _renewals = renewals ?? new RenewalLateness();
        Workloads = workloadNames
            .Select(workload => new SimulatedWorkload(trustDomain, name, workload, authorization, options.ConnectionTimeout))
            .ToList();
        _minter = new LeafMinter(options, timeProvider);
        _propagation = new BundlePropagation(Workloads, options, timeProvider, waits, Changes.Raise, _stopping.Token);
    }

    /// <summary>Raised whenever a workload loads a bundle or a leaf: what this cluster's trust and leaf reports read.</summary>
    public ChangeSignal Changes { get; } = new();

    public string Name { get; }
    public IReadOnlyList<SimulatedWorkload> Workloads { get; }
    public SimulatedClusterOptions Options => _options;

    /// <summary>False makes every call throw <see cref="TargetUnavailableException"/> (an unreachable API server); workloads keep running.</summary>
    public bool Reachable { get; set; } = true;

    /// <summary>The last leaf re-issue that failed, if any (the workload kept its old leaf).</summary>
    public string? LastRenewalError { get; private set; }

    public TrustBundle ControlPlaneBundle
    {
        get { lock (_lock) return _bundle; }
    }

    public IssuerMaterial CurrentIssuer
    {
        get { lock (_lock) return _issuer; }
    }

    IssuerMaterial? IClusterMaterialSource.CurrentIssuer => CurrentIssuer;

    /// <summary>The in-process control plane serves one bundle to every namespace (workloads get it after propagation).</summary>
    public TrustBundle? BundleFor(string workloadNamespace) => ControlPlaneBundle;

    /// <summary>Writes that changed something, in order ("bundle ..." / "issuer ..."); repeated identical writes add nothing.</summary>
    public IReadOnlyList<string> EffectiveWrites
    {
        get { lock (_lock) return _effectiveWrites.ToList(); }
    }

    /// <summary>Loads the initial bundle and leaf into every workload and opens their listeners.</summary>
    public void Start()
    {
        foreach (var workload in Workloads)
        {
            workload.UseTrustBundle(_bundle, _bundleGeneration);
            IssueLeaf(workload);
            workload.Start();
            _renewLoops.Add(RenewLoopAsync(workload, _stopping.Token));
        }
    }

    public Task<PreflightReport> PreflightAsync(RotationKind kind, CancellationToken cancellationToken = default)
    {
        ThrowIfUnavailable();
        IssuerMaterial issuer;
        TrustBundle bundle;
        lock (_lock)
        {
            issuer = _issuer;
            bundle = _bundle;
        }

        var serving = Workloads.Count(w => w.Credential is not null);
        var root = issuer.ChainToRoot.Count > 0 ? issuer.ChainToRoot[^1] : issuer.Issuer.Certificate;
        PreflightCheck[] checks =
        [
            new("multi-root trust", true, "the simulated control plane accepts several roots in its bundle, like Istio with multi-root trust"),
            new("workloads serving", serving == Workloads.Count, $"{serving} of {Workloads.Count} workloads serve mTLS on 127.0.0.1"),
            new("issuer trusted", bundle.Contains(root), bundle.Contains(root)
                ? $"the issuer '{issuer.Issuer.Certificate.Subject}' chains to a root in the bundle"
                : $"the issuer '{issuer.Issuer.Certificate.Subject}' chains to '{root.Subject}', which is not in the bundle"),
        ];
        return Task.FromResult(new PreflightReport(Name, checks));
    }

    public Task ApplyTrustBundleAsync(TrustBundle bundle, RotationWriteContext context, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfUnavailable();
        long generation;
        lock (_lock)
        {
            if (_bundle.SetEquals(bundle))
                return Task.CompletedTask;
            _bundle = bundle;
            generation = ++_bundleGeneration;
            _effectiveWrites.Add($"bundle {Describe(bundle)} ({context.Phase} of {context.RotationId})");
        }

        _propagation.Push(bundle, generation);
        return Task.CompletedTask;
    }

    public Task ApplyIssuerAsync(IssuerMaterial issuer, RotationWriteContext context, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfUnavailable();
        long? pushGeneration = null;
        lock (_lock)
        {
            var issuerChanged = _issuer.Issuer.Certificate.Sha256 != issuer.Issuer.Certificate.Sha256
                || !_issuer.ChainToRoot.SequenceEqual(issuer.ChainToRoot);
            var bundleChanged = !_bundle.SetEquals(issuer.Bundle);
            if (!issuerChanged && !bundleChanged)
                return Task.CompletedTask;

            _issuer = issuer;
            if (bundleChanged)
            {
                _bundle = issuer.Bundle;
                pushGeneration = ++_bundleGeneration;
            }

            if (issuerChanged)
            {
                var now = _time.GetUtcNow();
                if (_issuerSwitchWait is not null)
                    _waits.Close(_issuerSwitchWait, now);
                _issuerSwitchWait = _waits.Open(now);
            }

            _effectiveWrites.Add($"issuer {issuer.Issuer.Certificate.Subject} with bundle {Describe(issuer.Bundle)} ({context.Phase} of {context.RotationId})");
        }

        if (pushGeneration is { } generation)
            _propagation.Push(issuer.Bundle, generation);
        return Task.CompletedTask;
    }

    public Task<TrustReport> ReportTrustAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfUnavailable();
        var stores = Workloads
            .Select(w => new TrustStoreObservation(w.Location, w.TrustStore.Bundle.Fingerprints))
            .ToList();
        return Task.FromResult(new TrustReport(Name, stores));
    }

    public Task<LeafReport> ReportLeavesAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfUnavailable();
        var leaves = new List<LeafObservation>();
        foreach (var workload in Workloads)
        {
            if (workload.Credential is { } credential)
                leaves.Add(new LeafObservation(workload.Location, credential.Certificate, credential.Intermediates));
        }

        return Task.FromResult(new LeafReport(Name, true, leaves));
    }

    /// <summary>The control plane's bundle and issuer: what a write would replace.</summary>
    public Task<TargetContent> ReadContentAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfUnavailable();
        lock (_lock)
        {
            return Task.FromResult(new TargetContent(Name,
                [new HeldRoots($"{Name} control plane bundle", _bundle.ToList())],
                new HeldIssuer($"{Name} control plane issuer", [_issuer.Issuer.Certificate, .. _issuer.ChainToRoot.Where(c => !c.Equals(_issuer.Issuer.Certificate))], _issuer.Issuer.Key)));
        }
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
        await Task.WhenAll(_renewLoops);
        foreach (var workload in Workloads)
            await workload.DisposeAsync();
        _stopping.Dispose();
    }

    /// <summary>Mints a leaf for <paramref name="workload"/> from the current issuer and hands it over.</summary>
    private void IssueLeaf(SimulatedWorkload workload)
    {
        var issuer = CurrentIssuer;
        workload.UseCredential(_minter.Mint(workload, issuer));
        _leafIssuerByWorkload[workload.Location] = issuer.Issuer.Certificate.Sha256;
        CloseIssuerSwitchWaitIfSettled();
        Changes.Raise();
    }

    private void CloseIssuerSwitchWaitIfSettled()
    {
        lock (_lock)
        {
            if (_issuerSwitchWait is null)
                return;
            var current = _issuer.Issuer.Certificate.Sha256;
            if (Workloads.All(w => _leafIssuerByWorkload.TryGetValue(w.Location, out var sha) && sha == current))
            {
                _waits.Close(_issuerSwitchWait, _time.GetUtcNow());
                _issuerSwitchWait = null;
            }
        }
    }

    private Task RenewLoopAsync(SimulatedWorkload workload, CancellationToken cancellationToken) =>
        LeafRenewal.RunAsync(workload.Location, _options, _time, _renewals, () => IssueLeaf(workload), error => LastRenewalError = $"{workload.Location}: {error}", cancellationToken);

    private void ThrowIfUnavailable()
    {
        if (_stopped)
            throw new TargetUnavailableException(Name, "the simulated cluster has been stopped");
        if (!Reachable)
            throw new TargetUnavailableException(Name, "the simulated API server does not answer");
    }

    private static string Describe(TrustBundle bundle) =>
        "{" + string.Join(", ", bundle.Select(c => c.Subject)) + "}";
}
