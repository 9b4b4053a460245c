using Rotation.Core.Domain;
using Rotation.Core.Pki;

namespace Rotation.Drill.Estate;

/// <summary>The physics of a simulated cluster: how fast trust reaches workloads and how long their leaves live.</summary>
public sealed class SimulatedClusterOptions
{
    /// <summary>How long a bundle change takes to reach a workload (the kubelet/agent resync Istio users wait out).</summary>
    public TimeSpan PropagationDelay { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Up to this much more, chosen at random per workload and push.</summary>
    public TimeSpan PropagationJitter { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Workload leaf lifetime. Each leaf is re-issued at a random 50–80% of it, from the cluster's current issuer.</summary>
    public TimeSpan LeafTtl { get; init; } = TimeSpan.FromSeconds(4);

    public double ReissueAtMinFraction { get; init; } = 0.5;
    public double ReissueAtMaxFraction { get; init; } = 0.8;

    public KeyAlgorithm LeafKeyAlgorithm { get; init; } = KeyAlgorithm.EcdsaP256;

    /// <summary>
    /// Fault injection: every renewal waits this much longer than its clock says, as on a machine too starved to run
    /// the simulation. Null (the default) adds nothing; tests use it to prove a starved run is reported invalid.
    /// </summary>
    public TimeSpan? RenewalStall { get; init; }

    /// <summary>Per-connection limit for a workload's handshake and request/response.</summary>
    public TimeSpan ConnectionTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The longest a bundle push takes to reach every workload.</summary>
    public TimeSpan MaxPropagation => PropagationDelay + PropagationJitter;

    /// <summary>The longest until every leaf has been re-issued after an issuer switch.</summary>
    public TimeSpan MaxReissueWait => LeafTtl * ReissueAtMaxFraction;

    /// <summary>A leaf's full validity as minted (a second each side of the TTL absorbs whole-second certificate times).</summary>
    public TimeSpan MaxLeafLifetime => LeafTtl + TimeSpan.FromSeconds(2);

    public void Validate()
    {
        if (PropagationDelay < TimeSpan.Zero || PropagationJitter < TimeSpan.Zero)
            throw new DomainException($"propagation delay and jitter must not be negative (got {PropagationDelay} and {PropagationJitter}): pass zero or more");
        if (RenewalStall < TimeSpan.Zero)
            throw new DomainException($"the renewal stall must not be negative (got {RenewalStall}): pass zero or more, or leave it out");
        if (LeafTtl < TimeSpan.FromSeconds(1))
            throw new DomainException($"leaf TTL must be at least 1s (got {LeafTtl}): certificate times have whole-second precision");
        if (ReissueAtMinFraction <= 0 || ReissueAtMaxFraction >= 1 || ReissueAtMinFraction > ReissueAtMaxFraction)
            throw new DomainException($"re-issue fractions must satisfy 0 < min <= max < 1 (got {ReissueAtMinFraction} and {ReissueAtMaxFraction})");
    }
}
