using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Evidence;
using Rotation.Testing;

namespace Rotation.Core.Tests.Rotations;

/// <summary>
/// The leaf gate remembers signature verdicts between checks (issue 10 §2), keyed by leaf and expected issuer, so an
/// unchanged estate is not verified again but a changed issuer or a renewed leaf is.
/// </summary>
public sealed class LeafVerdictCacheTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly RotationPolicy Policy = new() { MaxLeafTtl = TimeSpan.FromHours(1), LeafGrace = TimeSpan.FromMinutes(1) };
    private readonly TestHierarchy _hierarchy = TestPki.Hierarchy(Now);

    private static GateVerdict Judge(LeafReport report, Rotation.Core.Pki.Certificate issuer, LeafVerdictCache cache) =>
        LeafEvidence.Evaluate([TargetResult.Ok(report.Target, report)], issuer, Now, Now, Policy, cache);

    private LeafReport Leaves(Rotation.Core.Pki.CertificateWithKey issuer, int count) =>
        new("c/mesh", true, Enumerable.Range(1, count)
            .Select(i => new LeafObservation($"ns/w{i}", TestPki.Leaf(issuer, Now, $"w{i}").Certificate, []))
            .ToList());

    [Fact]
    public void An_unchanged_estate_is_verified_once_across_gate_checks()
    {
        var cache = new LeafVerdictCache();
        var report = Leaves(_hierarchy.Intermediate, 4);

        var first = Judge(report, _hierarchy.Intermediate.Certificate, cache);
        var second = Judge(report, _hierarchy.Intermediate.Certificate, cache);

        Assert.True(first.Satisfied, first.Reason);
        Assert.True(second.Satisfied, second.Reason);
        Assert.Equal(4, cache.Verifications);
    }

    [Fact]
    public void A_changed_expected_issuer_is_verified_afresh_even_with_the_same_subject()
    {
        var cache = new LeafVerdictCache();
        var report = Leaves(_hierarchy.Intermediate, 3);
        Assert.True(Judge(report, _hierarchy.Intermediate.Certificate, cache).Satisfied);

        // Same name, new key: what a rotated intermediate looks like. A cache keyed by leaf (or by subject) would say yes.
        var rotated = TestPki.Intermediate(_hierarchy.Root, Now);
        Assert.Equal(_hierarchy.Intermediate.Certificate.Subject, rotated.Certificate.Subject);
        var verdict = Judge(report, rotated.Certificate, cache);

        Assert.False(verdict.Satisfied);
        Assert.Contains("3 of 3 leaves not yet issued by", verdict.Reason, StringComparison.Ordinal);
        Assert.Equal(6, cache.Verifications);
    }

    [Fact]
    public void A_renewed_leaf_is_verified_and_the_unchanged_ones_are_remembered()
    {
        var cache = new LeafVerdictCache();
        var rotated = TestPki.Intermediate(_hierarchy.Root, Now, "CN=Intermediate B,O=" + TestPki.TrustDomain);
        var before = Leaves(_hierarchy.Intermediate, 2);
        Assert.False(Judge(before, rotated.Certificate, cache).Satisfied);

        var renewed = new LeafReport("c/mesh", true, [before.Leaves[0], new LeafObservation("ns/w2", TestPki.Leaf(rotated, Now, "w2").Certificate, [])]);
        var verdict = Judge(renewed, rotated.Certificate, cache);

        Assert.False(verdict.Satisfied);
        Assert.Contains("1 of 2 leaves", verdict.Reason, StringComparison.Ordinal);
        Assert.Equal(3, cache.Verifications);
    }

    [Fact]
    public void A_full_cache_starts_over_and_still_answers_correctly()
    {
        var cache = new LeafVerdictCache(capacity: 2);
        var report = Leaves(_hierarchy.Intermediate, 3);

        Assert.True(Judge(report, _hierarchy.Intermediate.Certificate, cache).Satisfied);
        Assert.True(Judge(report, _hierarchy.Intermediate.Certificate, cache).Satisfied);
        Assert.True(cache.Verifications > 3);
    }
}
