using Rotation.Core.Pki;
using Rotation.Core.Ports;

namespace Rotation.Core.Rotations.Evidence;

/// <summary>
/// The leaf gate: every workload leaf was issued by the expected CA. Targets that can show their leaves are
/// judged by that evidence; targets that cannot are judged by the time rule (the longest leaf lifetime plus
/// grace since the issuer switch), because by then every leaf issued before the switch has expired.
/// </summary>
public static class LeafEvidence
{
    private const int LeavesNamedPerTarget = 3;

    public static GateVerdict Evaluate(
        IReadOnlyList<TargetResult<LeafReport>> results,
        Certificate expectedIssuer,
        DateTimeOffset? issuerSwitchedAt,
        DateTimeOffset now,
        RotationPolicy policy)
    {
        var perTarget = new SortedDictionary<string, string>(StringComparer.Ordinal);
        string? firstReason = null;
        DateTimeOffset? recheck = null;
        var evidenceHolds = false;
        var timeRuleMetAt = (issuerSwitchedAt ?? now) + policy.MaxLeafTtl + policy.LeafGrace;

        foreach (var result in results)
        {
            string detail;
            if (result.Value is not { } report)
            {
                detail = $"unavailable: {result.Error}";
                evidenceHolds = true;
            }
            else if (!report.Observable)
            {
                if (now >= timeRuleMetAt)
                {
                    detail = $"{GateVerdict.OkPrefix}: leaves not observable ({report.Note}); time rule met at {timeRuleMetAt:u}";
                }
                else
                {
                    detail = $"leaves not observable ({report.Note}); waiting for the time rule until {timeRuleMetAt:u}";
                    recheck = timeRuleMetAt;
                }
            }
            else
            {
                detail = CheckObserved(report, expectedIssuer);
                evidenceHolds |= !detail.StartsWith(GateVerdict.OkPrefix, StringComparison.Ordinal);
            }

            perTarget[result.Target] = detail;
            if (!detail.StartsWith(GateVerdict.OkPrefix, StringComparison.Ordinal))
            {
                firstReason ??= $"{result.Target}: {detail}";
            }
        }

        // Only when nothing but the clock holds the gate is it worth sleeping until the time rule is met.
        return new GateVerdict(
            firstReason is null,
            firstReason ?? $"every leaf is issued by {expectedIssuer.Subject}",
            perTarget,
            evidenceHolds ? null : recheck);
    }

    private static string CheckObserved(LeafReport report, Certificate expectedIssuer)
    {
        var stale = report.Leaves.Where(l => !l.Leaf.IsSignedBy(expectedIssuer)).ToList();
        if (stale.Count == 0)
        {
            return $"{GateVerdict.OkPrefix}: {report.Leaves.Count} leaf/leaves issued by the new CA";
        }

        var named = string.Join("; ", stale.Take(LeavesNamedPerTarget).Select(l => $"{l.Location} (issuer {l.Leaf.Issuer})"));
        return $"{stale.Count} of {report.Leaves.Count} leaves not yet issued by {expectedIssuer.Subject}: {named}";
    }
}
