using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Evidence;
using Rotation.Testing;

namespace Rotation.Core.Tests.Rotations;

/// <summary>
/// The leaf gate for targets whose leaves are not observable: the time rule applies only once the target proved it
/// issues from the new CA, and counts from then (Linkerd: linkerd/linkerd2 b24cd405 pkg/identity/service.go Run
/// records IssuerUpdated / IssuerUpdateSkipped; until the reload the previous issuer keeps signing).
/// </summary>
public sealed class LeafEvidenceTests
{
    private static readonly DateTimeOffset SwitchedAt = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly RotationPolicy Policy = new() { MaxLeafTtl = TimeSpan.FromHours(24), LeafGrace = TimeSpan.FromMinutes(10) };
    private readonly Rotation.Core.Pki.Certificate _issuer = TestPki.Hierarchy(SwitchedAt).Intermediate.Certificate;

    private GateVerdict Judge(LeafReport report, DateTimeOffset now) =>
        LeafEvidence.Evaluate([TargetResult.Ok(report.Target, report)], _issuer, SwitchedAt, now, Policy);

    [Fact]
    public void A_report_that_holds_keeps_the_gate_shut_with_its_reason_even_after_the_time_rule()
    {
        var report = new LeafReport("c/linkerd", false, [], "not observable", Holds: "linkerd-identity reported IssuerUpdateSkipped: bad chain");

        var verdict = Judge(report, SwitchedAt + TimeSpan.FromDays(3));

        Assert.False(verdict.Satisfied);
        Assert.Contains("IssuerUpdateSkipped: bad chain", verdict.Reason, StringComparison.Ordinal);
        Assert.Null(verdict.RecheckNoEarlierThan);
    }

    [Fact]
    public void The_time_rule_counts_from_when_the_target_proved_it_issues_from_the_new_ca()
    {
        var loadedAt = SwitchedAt + TimeSpan.FromHours(2);
        var report = new LeafReport("c/linkerd", false, [], "not observable", IssuingSince: loadedAt);
        var afterSwitchRule = SwitchedAt + Policy.MaxLeafTtl + Policy.LeafGrace + TimeSpan.FromMinutes(1);

        var early = Judge(report, afterSwitchRule);
        var late = Judge(report, loadedAt + Policy.MaxLeafTtl + Policy.LeafGrace);

        Assert.False(early.Satisfied);
        Assert.Equal(loadedAt + Policy.MaxLeafTtl + Policy.LeafGrace, early.RecheckNoEarlierThan);
        Assert.True(late.Satisfied, late.Reason);
    }

    [Fact]
    public void A_load_before_the_switch_does_not_shorten_the_time_rule()
    {
        var report = new LeafReport("c/linkerd", false, [], "not observable", IssuingSince: SwitchedAt - TimeSpan.FromHours(1));

        Assert.False(Judge(report, SwitchedAt + Policy.MaxLeafTtl).Satisfied);
        Assert.True(Judge(report, SwitchedAt + Policy.MaxLeafTtl + Policy.LeafGrace).Satisfied);
    }

    [Fact]
    public void A_leaf_that_outlives_its_issuer_passes_but_is_named_with_when_it_stops_verifying()
    {
        var hierarchy = TestPki.Hierarchy(SwitchedAt);
        var shortIssuer = TestPki.Intermediate(hierarchy.Root, SwitchedAt, "CN=Short Issuer", lifetime: TimeSpan.FromDays(10));
        // What cert-manager 2d0d7f7f issues for a 90-day duration from a CA with 10 days left (no cap, pkg/util/pki/csr.go).
        var leaf = TestPki.Custom("CN=web").Valid(SwitchedAt, SwitchedAt + TimeSpan.FromDays(90)).IssuedBy(shortIssuer).AsLeaf().Build();
        var report = new LeafReport("c/cert-manager", true, [new LeafObservation("secret apps/web-tls", leaf.Certificate, [])]);

        var verdict = LeafEvidence.Evaluate([TargetResult.Ok(report.Target, report)], shortIssuer.Certificate, SwitchedAt, SwitchedAt, Policy);

        Assert.True(verdict.Satisfied, verdict.Reason);
        Assert.Contains("1 outlive their issuer", verdict.PerTarget["c/cert-manager"].Detail, StringComparison.Ordinal);
        Assert.Contains("secret apps/web-tls until", verdict.PerTarget["c/cert-manager"].Detail, StringComparison.Ordinal);
    }
}
