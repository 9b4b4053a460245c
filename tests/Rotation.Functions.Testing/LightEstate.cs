using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;

namespace Rotation.Functions.Tests.Support;

/// <summary>
/// Many clusters without workloads, for scale: each holds one trust store and one issuer in memory, answers every
/// port call after a millisecond's "round trip" (so calls overlap as they would over a network), and records how many
/// of its calls across the whole estate are in flight at once. Leaves are not observable, as with Istio, so the leaf
/// gate waits for the time rule. Writes are checked by what each cluster ends holding.
/// </summary>
public sealed class LightEstate(IReadOnlyList<LightEstate.Cluster> clusters) : ITargetResolver
{
    private int _inFlight;
    private int _peak;

    public IReadOnlyList<Cluster> Clusters { get; } = clusters;

    /// <summary>The most port calls that were in flight at the same moment, across every cluster.</summary>
    public int PeakConcurrentCalls => Volatile.Read(ref _peak);

    public static LightEstate Start(int clusters, IssuerMaterial issuer)
    {
        var estate = new List<Cluster>();
        var light = new LightEstate(estate);
        estate.AddRange(Enumerable.Range(1, clusters).Select(i => new Cluster($"cluster-{i:D4}/light", light, issuer)));
        return light;
    }

    public Task<IReadOnlyList<IRotationTarget>> ResolveAsync(string domain, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<IRotationTarget>>([.. Clusters]);

    private async Task<T> CallAsync<T>(Func<T> answer, CancellationToken cancellationToken)
    {
        var now = Interlocked.Increment(ref _inFlight);
        int peak;
        while (now > (peak = Volatile.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, peak) != peak)
        {
        }

        try
        {
            await Task.Delay(1, cancellationToken);
            return answer();
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public sealed class Cluster(string name, LightEstate estate, IssuerMaterial initial) : IRotationTarget
    {
        private readonly Lock _lock = new();
        private TrustBundle _bundle = initial.Bundle;
        private IssuerMaterial _issuer = initial;

        public string Name { get; } = name;

        public TrustBundle Bundle
        {
            get
            {
                lock (_lock)
                    return _bundle;
            }
        }

        public Certificate Issuer
        {
            get
            {
                lock (_lock)
                    return _issuer.Issuer.Certificate;
            }
        }

        public Task<PreflightReport> PreflightAsync(RotationKind kind, CancellationToken cancellationToken = default) =>
            estate.CallAsync(() => new PreflightReport(Name, [new PreflightCheck("reachable", true, "in memory")]), cancellationToken);

        public Task ApplyTrustBundleAsync(TrustBundle bundle, RotationWriteContext context, CancellationToken cancellationToken = default) =>
            estate.CallAsync(() =>
            {
                lock (_lock)
                    _bundle = bundle;
                return true;
            }, cancellationToken);

        public Task ApplyIssuerAsync(IssuerMaterial issuer, RotationWriteContext context, CancellationToken cancellationToken = default) =>
            estate.CallAsync(() =>
            {
                lock (_lock)
                {
                    _issuer = issuer;
                    _bundle = issuer.Bundle;
                }

                return true;
            }, cancellationToken);

        public Task<TrustReport> ReportTrustAsync(CancellationToken cancellationToken = default) =>
            estate.CallAsync(() => new TrustReport(Name, [new TrustStoreObservation($"{Name}/trust", Bundle.Fingerprints)]), cancellationToken);

        public Task<LeafReport> ReportLeavesAsync(CancellationToken cancellationToken = default) =>
            estate.CallAsync(() => new LeafReport(Name, Observable: false, [], Note: "a lightweight cluster shows no leaves"), cancellationToken);

        public Task<TargetContent> ReadContentAsync(CancellationToken cancellationToken = default) =>
            estate.CallAsync(() =>
            {
                lock (_lock)
                {
                    return new TargetContent(Name, [new HeldRoots($"{Name}/trust", [.. _bundle])], new HeldIssuer($"{Name}/issuer", [.. _issuer.ChainToRoot], _issuer.Issuer.Key));
                }
            }, cancellationToken);
    }
}
