using System.Diagnostics;
using Rotation.Drill.Drills;

namespace Rotation.Drill.Estate;

/// <summary>
/// The drill's leaf lifetime when none is given: long enough that the workloads' renewals use at most
/// <see cref="RenewalCpuShare"/> of the machine's cores, so a large estate on a small machine is not starved into an
/// invalid run (issue 10 §3). Renewal cost is measured on this machine at start: it differs by an order of magnitude
/// between an idle workstation and a busy CI runner.
/// </summary>
public static class LeafTtlScaling
{
    /// <summary>The shortest default: the 3×4 drill keeps its 4 s leaves.</summary>
    public static readonly TimeSpan Minimum = TimeSpan.FromSeconds(4);

    /// <summary>The share of all cores renewals may use; the rest runs traffic, the engine and the simulated control planes.</summary>
    public const double RenewalCpuShare = 0.25;

    /// <summary>
    /// workloads renew every TTL × mean re-issue fraction, each costing <paramref name="renewalCost"/> of one core, so
    /// TTL ≥ workloads × cost / (mean fraction × share × cores); whole seconds (certificate times are), at least
    /// <see cref="Minimum"/>.
    /// </summary>
    public static TimeSpan For(int workloads, TimeSpan renewalCost, int processors, SimulatedClusterOptions physics)
    {
        var meanFraction = (physics.ReissueAtMinFraction + physics.ReissueAtMaxFraction) / 2;
        var seconds = workloads * renewalCost.TotalSeconds / (meanFraction * RenewalCpuShare * Math.Max(1, processors));
        var ttl = TimeSpan.FromSeconds(Math.Ceiling(seconds));
        return ttl < Minimum ? Minimum : ttl;
    }

    /// <summary>The median time of one renewal here (new key, leaf signed, TLS identity built), from a throwaway CA.</summary>
    public static TimeSpan MeasureRenewalCost(int samples = 15)
    {
        var physics = new SimulatedClusterOptions();
        var issuer = DrillAuthorities.Create("calibration.drill.internal", "calibration").AloneIssuer();
        var minter = new LeafMinter(physics, TimeProvider.System);
        var times = new List<TimeSpan>(samples);
        for (var i = 0; i < samples; i++)
        {
            var started = Stopwatch.GetTimestamp();
            _ = minter.Mint($"workload-{i}.calibration.svc", $"spiffe://calibration.drill.internal/ns/calibration/sa/workload-{i}", issuer);
            times.Add(Stopwatch.GetElapsedTime(started));
        }

        times.Sort();
        return times[samples / 2];
    }
}
