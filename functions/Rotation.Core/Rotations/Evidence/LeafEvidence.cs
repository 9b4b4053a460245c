using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations.Steps;

namespace Rotation.Core.Rotations.Evidence;

/// <summary>
/// The leaf gate: every workload leaf was issued by the expected CA. Targets that can show their leaves are
/// judged by that evidence; targets that cannot are judged by the time rule (the longest leaf lifetime plus
/// grace since the issuer switch, or since the target proved it issues from the new CA when that is later), because by
/// then every leaf issued before has expired. A target's <see cref="LeafReport.Holds"/> holds the gate with its reason.
/// </summary>
public static class LeafEvidence
{
    private const int LeavesNamedPerTarget = 3;

    public static GateVerdict Evaluate(
        IReadOnlyList<TargetResult<LeafReport>> results,
        Certificate expectedIssuer,
        DateTimeOffset? issuerSwitchedAt,
        DateTimeOffset now,
        RotationPolicy policy,
        LeafVerdictCache? verdicts = null) =>
        Combine(results.Select(r => (r.Target, r.Value is { } report ? Judge(report, expectedIssuer, issuerSwitchedAt, now, policy, verdicts) : Unavailable(r.Error))).ToList(), expectedIssuer);

    /// <summary>A target that could not answer: evidence holds it.</summary>
    public static TargetPart Unavailable(string? error) => new(false, $"unavailable: {error}", EvidenceHolds: true);

    /// <summary>One target's part of the gate; <see cref="TargetPart.TimeRuleAt"/> is set while only the clock holds it.</summary>
    public static TargetPart Judge(
        LeafReport report,
        Certificate expectedIssuer,
        DateTimeOffset? issuerSwitchedAt,
        DateTimeOffset now,
        RotationPolicy policy,
        LeafVerdictCache? verdicts = null)
    {
        verdicts ??= LeafVerdictCache.Shared;
        if (report.Holds is { } holds)
        {
            return new TargetPart(false, holds, EvidenceHolds: true);
        }

        if (!report.Observable)
        {
            var metAt = report.IssuingSince is { } since && since > (issuerSwitchedAt ?? now)
                ? since + policy.MaxLeafTtl + policy.LeafGrace
                : (issuerSwitchedAt ?? now) + policy.MaxLeafTtl + policy.LeafGrace;
            return now >= metAt
                ? new TargetPart(true, $"ok: leaves not observable ({report.Note}); time rule met at {metAt:u}")
                : new TargetPart(false, $"leaves not observable ({report.Note}); waiting for the time rule until {metAt:u}", TimeRuleAt: metAt);
        }

        var verdict = CheckObserved(report, expectedIssuer, verdicts);
        return new TargetPart(verdict.Done, verdict.Detail, EvidenceHolds: !verdict.Done);
    }

    /// <summary>The gate over every target's part, in the order given (the first holding target gives the reason).</summary>
    public static GateVerdict Combine(IReadOnlyList<(string Target, TargetPart Part)> parts, Certificate expectedIssuer)
    {
        var perTarget = new SortedDictionary<string, TargetVerdict>(StringComparer.Ordinal);
        string? firstReason = null;
        DateTimeOffset? recheck = null;
        var evidenceHolds = false;
        foreach (var (target, part) in parts)
        {
            perTarget[target] = new TargetVerdict(part.Done, part.Detail);
            evidenceHolds |= part.EvidenceHolds;
            if (part.TimeRuleAt is { } metAt && !part.Done)
            {
                recheck = recheck is { } earlier && earlier > metAt ? earlier : metAt;
            }

            if (!part.Done)
            {
                firstReason ??= $"{target}: {part.Detail}";
            }
        }

        // Only when nothing but the clock holds the gate is it worth sleeping until the time rule is met.
        return new GateVerdict(
            firstReason is null,
            firstReason ?? $"every leaf is issued by {expectedIssuer.Subject}",
            perTarget,
            evidenceHolds ? null : recheck);
    }

    private static TargetVerdict CheckObserved(LeafReport report, Certificate expectedIssuer, LeafVerdictCache verdicts)
    {
        var stale = report.Leaves.Where(l => !verdicts.IsSignedBy(l.Leaf, expectedIssuer)).ToList();
        if (stale.Count == 0)
        {
            // cert-manager signs the duration asked for, past its CA's notAfter (cert-manager 2d0d7f7f
            // pkg/util/pki/certificatetemplate.go, csr.go SignCertificate): such a leaf stops verifying when the CA
            // expires, before its own notAfter. Not a rotation hold, but named so it is not mistaken for healthy.
            var outliving = report.Leaves.Where(l => l.Leaf.NotAfter > expectedIssuer.NotAfter).ToList();
            var warning = outliving.Count == 0 ? ""
                : $"; warning: {outliving.Count} outlive their issuer (notAfter after {expectedIssuer.NotAfter:u}) and stop verifying then, e.g. {string.Join("; ", outliving.Take(LeavesNamedPerTarget).Select(l => $"{l.Location} until {l.Leaf.NotAfter:u}"))}: rotate the intermediate before {expectedIssuer.NotAfter:u} or shorten their duration";
            return TargetVerdict.Ok($"{report.Leaves.Count} leaf/leaves issued by the new CA{warning}");
        }

        var named = string.Join("; ", stale.Take(LeavesNamedPerTarget).Select(l => $"{l.Location} (issuer {l.Leaf.Issuer})"));
        return TargetVerdict.NotYet($"{stale.Count} of {report.Leaves.Count} leaves not yet issued by {expectedIssuer.Subject}: {named}");
    }
}
