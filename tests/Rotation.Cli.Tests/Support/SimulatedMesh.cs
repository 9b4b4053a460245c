using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Testing;

namespace Rotation.Cli.Tests.Support;

/// <summary>
/// A mesh the rotation commands can drive: every write converges at once (workloads take the new bundle and get
/// fresh leaves from the current issuer) unless a test pins a workload's trust to simulate a straggler.
/// </summary>
public sealed class SimulatedMesh : IRotationTarget, ITargetResolver
{
    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly Dictionary<string, HashSet<string>> _trust = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Certificate> _leaves = new(StringComparer.Ordinal);
    private readonly HashSet<string> _pinned = new(StringComparer.Ordinal);
    private readonly string[] _workloads;
    private IssuerMaterial? _issuer;
    private TrustBundle _bundle = TrustBundle.Empty;

    public SimulatedMesh(string name, TimeProvider time, params string[] workloads)
    {
        Name = name;
        _time = time;
        _workloads = workloads;
        foreach (var workload in workloads)
        {
            _trust[workload] = [];
        }
    }

    public string Name { get; }

    public TrustBundle Bundle
    {
        get
        {
            lock (_gate)
            {
                return _bundle;
            }
        }
    }

    public Certificate? IssuerCertificate
    {
        get
        {
            lock (_gate)
            {
                return _issuer?.Issuer.Certificate;
            }
        }
    }

    public Task<IReadOnlyList<IRotationTarget>> ResolveAsync(string domain, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<IRotationTarget>>([this]);

    /// <summary>Installs the domain's current CA the way an operator would before the first rotation.</summary>
    public void Seed(IssuerMaterial issuer) => Apply(issuer.Bundle, issuer);

    /// <summary>From now on <paramref name="workload"/> trusts exactly <paramref name="fingerprints"/>, whatever is written.</summary>
    public void Pin(string workload, IEnumerable<string> fingerprints)
    {
        lock (_gate)
        {
            _pinned.Add(workload);
            _trust[workload] = [.. fingerprints];
        }
    }

    public Task<PreflightReport> PreflightAsync(RotationKind kind, CancellationToken cancellationToken = default) =>
        Task.FromResult(new PreflightReport(Name, [new PreflightCheck("reachable", true, "in-process")]));

    public Task ApplyTrustBundleAsync(TrustBundle bundle, RotationWriteContext context, CancellationToken cancellationToken = default)
    {
        Apply(bundle, null);
        return Task.CompletedTask;
    }

    public Task ApplyIssuerAsync(IssuerMaterial issuer, RotationWriteContext context, CancellationToken cancellationToken = default)
    {
        Apply(issuer.Bundle, issuer);
        return Task.CompletedTask;
    }

    public Task<TrustReport> ReportTrustAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult(new TrustReport(Name, [.. _workloads.Select(w => new TrustStoreObservation(w, [.. _trust[w]]))]));
        }
    }

    public Task<LeafReport> ReportLeavesAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult(new LeafReport(Name, true, [.. _workloads.Select(w => new LeafObservation(w, _leaves[w], [_issuer!.Issuer.Certificate]))]));
        }
    }

    public Task<TargetContent> ReadContentAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult(new TargetContent(Name,
                [_bundle.Count == 0 ? new HeldRoots($"{Name} bundle", null, "absent") : new HeldRoots($"{Name} bundle", [.. _bundle])],
                _issuer is null ? new HeldIssuer($"{Name} issuer", null, null, "absent") : new HeldIssuer($"{Name} issuer", [.. _issuer.ChainToRoot], _issuer.Issuer.Key)));
        }
    }

    private void Apply(TrustBundle bundle, IssuerMaterial? issuer)
    {
        lock (_gate)
        {
            _bundle = bundle;
            foreach (var workload in _workloads.Where(w => !_pinned.Contains(w)))
            {
                _trust[workload] = [.. bundle.Fingerprints];
            }

            if (issuer is not null && issuer.Issuer.Certificate.Sha256 != _issuer?.Issuer.Certificate.Sha256)
            {
                _issuer = issuer;
                foreach (var workload in _workloads)
                {
                    _leaves[workload] = TestPki.Leaf(issuer.Issuer, _time.GetUtcNow(), workload, TimeSpan.FromHours(1)).Certificate;
                }
            }
        }
    }
}
