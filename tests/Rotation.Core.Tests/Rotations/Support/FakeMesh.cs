using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;

namespace Rotation.Core.Tests.Rotations.Support;

/// <summary>
/// A mesh whose evolution the test drives by hand: writes change the control plane only; <see cref="Propagate"/>
/// copies the bundle into workloads and <see cref="Reissue"/> re-issues workload leaves from the current issuer.
/// With <see cref="AutoConverge"/> both happen on every write, for end-to-end runs.
/// </summary>
public sealed class FakeMesh(string name, DateTimeOffset now, int workloads) : IRotationTarget
{
    private readonly object _gate = new();
    private int _trustReads;
    private readonly Workload[] _workloads = Enumerable.Range(0, workloads).Select(i => new Workload($"ns-{i}")).ToArray();

    public string Name { get; } = name;
    public TrustBundle Bundle { get; private set; } = TrustBundle.Empty;
    public IssuerMaterial? Issuer { get; private set; }
    public int BundleWrites { get; private set; }
    public int IssuerWrites { get; private set; }

    /// <summary>How often the trust stores were read (<see cref="ReportTrustAsync"/>).</summary>
    public int TrustReads => Volatile.Read(ref _trustReads);
    public bool AutoConverge { get; set; }
    public bool Unavailable { get; set; }
    public bool LeavesObservable { get; set; } = true;
    public PreflightCheck? FailingPreflight { get; set; }
    public DateTimeOffset Now { get; set; } = now;

    /// <summary>Runs inside the next bundle write, before it lands: something else happening while a step writes.</summary>
    public Func<Task>? DuringNextBundleWrite { get; set; }

    public IReadOnlyList<string> WorkloadFingerprints(int index) => [.. _workloads[index].Trusted];
    public Certificate WorkloadLeaf(int index) => _workloads[index].Leaf!;

    public void Seed(IssuerMaterial issuer)
    {
        Issuer = issuer;
        Bundle = issuer.Bundle;
        Propagate();
        Reissue();
    }

    public Task<PreflightReport> PreflightAsync(RotationKind kind, CancellationToken cancellationToken = default)
    {
        ThrowIfUnavailable();
        IReadOnlyList<PreflightCheck> checks = FailingPreflight is null ? [new PreflightCheck("reachable", true, "ok")] : [FailingPreflight];
        return Task.FromResult(new PreflightReport(Name, checks));
    }

    public async Task ApplyTrustBundleAsync(TrustBundle bundle, RotationWriteContext context, CancellationToken cancellationToken = default)
    {
        ThrowIfUnavailable();
        if (DuringNextBundleWrite is { } during)
        {
            DuringNextBundleWrite = null;
            await during();
        }

        lock (_gate)
        {
            if (!Bundle.SetEquals(bundle))
            {
                Bundle = bundle;
                BundleWrites++;
            }

            Converge();
        }
    }

    public Task ApplyIssuerAsync(IssuerMaterial issuer, RotationWriteContext context, CancellationToken cancellationToken = default)
    {
        ThrowIfUnavailable();
        lock (_gate)
        {
            if (Issuer?.Issuer.Certificate.Sha256 != issuer.Issuer.Certificate.Sha256 || !Bundle.SetEquals(issuer.Bundle))
            {
                Issuer = issuer;
                Bundle = issuer.Bundle;
                IssuerWrites++;
            }

            Converge();
        }

        return Task.CompletedTask;
    }

    public Task<TrustReport> ReportTrustAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfUnavailable();
        Interlocked.Increment(ref _trustReads);
        lock (_gate)
        {
            return Task.FromResult(new TrustReport(Name, [.. _workloads.Select(w => new TrustStoreObservation(w.Name, [.. w.Trusted]))]));
        }
    }

    public Task<LeafReport> ReportLeavesAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfUnavailable();
        lock (_gate)
        {
            return Task.FromResult(LeavesObservable
                ? new LeafReport(Name, true, [.. _workloads.Select(w => new LeafObservation(w.Name, w.Leaf!, [Issuer!.Issuer.Certificate]))])
                : new LeafReport(Name, false, [], "this mesh does not expose leaves"));
        }
    }

    public Task<TargetContent> ReadContentAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfUnavailable();
        lock (_gate)
        {
            return Task.FromResult(new TargetContent(Name,
                [Bundle.Count == 0 ? new HeldRoots($"{Name} bundle", null, "absent") : new HeldRoots($"{Name} bundle", [.. Bundle])],
                Issuer is null ? new HeldIssuer($"{Name} issuer", null, null, "absent") : new HeldIssuer($"{Name} issuer", [Issuer.Issuer.Certificate, .. Issuer.ChainToRoot.Skip(1)], Issuer.Issuer.Key)));
        }
    }

    /// <summary>Replaces what the control plane holds behind Rotation's back (someone else's CA, a hand edit).</summary>
    public void Overwrite(TrustBundle bundle, IssuerMaterial? issuer)
    {
        lock (_gate)
        {
            Bundle = bundle;
            Issuer = issuer ?? Issuer;
        }
    }

    /// <summary>Overrides what one workload trusts (a new namespace, a store that regressed).</summary>
    public void SetWorkloadTrust(int index, IEnumerable<string> fingerprints)
    {
        lock (_gate)
        {
            _workloads[index].Trusted = [.. fingerprints];
        }
    }

    /// <summary>Overrides one workload's leaf (a straggler still on an old certificate).</summary>
    public void SetWorkloadLeaf(int index, Certificate leaf)
    {
        lock (_gate)
        {
            _workloads[index].Leaf = leaf;
        }
    }

    /// <summary>Copies the control plane's bundle into the first <paramref name="count"/> workloads (all by default).</summary>
    public void Propagate(int? count = null)
    {
        lock (_gate)
        {
            foreach (var w in _workloads.Take(count ?? _workloads.Length))
            {
                w.Trusted = [.. Bundle.Fingerprints];
            }
        }
    }

    /// <summary>Re-issues the leaves of the first <paramref name="count"/> workloads from the current issuer.</summary>
    public void Reissue(int? count = null)
    {
        lock (_gate)
        {
            foreach (var w in _workloads.Take(count ?? _workloads.Length))
            {
                w.Leaf = Rotation.Testing.TestPki.Leaf(Issuer!.Issuer, Now, w.Name).Certificate;
            }
        }
    }

    private void Converge()
    {
        if (AutoConverge)
        {
            Propagate();
            Reissue();
        }
    }

    private void ThrowIfUnavailable()
    {
        if (Unavailable)
        {
            throw new TargetUnavailableException(Name, "connection refused");
        }
    }

    private sealed class Workload(string name)
    {
        public string Name { get; } = name;
        public HashSet<string> Trusted { get; set; } = [];
        public Certificate? Leaf { get; set; }
    }
}
