using Rotation.Core.Domain;
using Rotation.Core.Expiry;
using Rotation.Core.Metrics;
using Rotation.Core.Rotations;
using Rotation.Core.Tests.Rotations.Support;

namespace Rotation.Core.Tests.Metrics;

/// <summary>What a scrape reads from the store: CA expiry per layer, where rotations are and why their gates hold.</summary>
public sealed class EstateMetricsReaderTests
{
    [Fact]
    public async Task Each_CA_is_one_sample_with_its_layer_expiry_and_lifetime_left()
    {
        var h = await EngineHarness.CreateAsync();
        var reader = new EstateMetricsReader(h.Store, h.Time);

        var metrics = await reader.ReadAsync();

        var root = Assert.Single(metrics.Authorities, a => a.Ca == h.RootA.Id);
        var issuing = Assert.Single(metrics.Authorities, a => a.Ca == h.IntermediateA1.Id);
        Assert.Equal(CertificateLayer.Root, root.Layer);
        Assert.Equal(CertificateLayer.IssuingCa, issuing.Layer);
        Assert.Equal(h.RootA.NotAfter, root.NotAfter);
        Assert.Equal("active", root.Status);
        Assert.Equal(string.Empty, root.Cluster);
        Assert.Equal(ExpiryState.Ok, issuing.State);

        var issuingLife = h.IntermediateA1.NotAfter - h.IntermediateA1.NotBefore;
        h.Advance(issuingLife * 0.75);
        var later = await reader.ReadAsync();
        var aged = Assert.Single(later.Authorities, a => a.Ca == h.IntermediateA1.Id);
        Assert.InRange(aged.LifetimeLeftRatio, 0.24, 0.26);
    }

    [Fact]
    public async Task An_unknown_domain_is_refused_with_what_to_do()
    {
        var h = await EngineHarness.CreateAsync();

        var error = await Assert.ThrowsAsync<DomainException>(() => new EstateMetricsReader(h.Store, h.Time).ReadAsync("nope.example"));

        Assert.Contains("unknown trust domain 'nope.example'", error.Message);
        Assert.Contains("rotation inventory", error.Message);
    }

    [Fact]
    public async Task A_trust_gate_that_holds_reports_since_when_why_and_its_next_check()
    {
        var h = await EngineHarness.CreateAsync();
        var r = await h.StartAsync();
        await DriveToAsync(h, r.Id, RotationPhase.VerifyTrust);
        var firstHold = h.Time.GetUtcNow();
        await h.RunCurrentAsync(r.Id); // nobody propagated: the gate holds
        h.Advance(TimeSpan.FromMinutes(3));
        var held = await h.RunCurrentAsync(r.Id);

        var sample = Assert.Single((await new EstateMetricsReader(h.Store, h.Time).ReadAsync()).Rotations);

        Assert.Equal(RotationPhase.VerifyTrust, sample.Phase);
        Assert.Equal(RotationKind.Root, sample.Kind);
        Assert.NotNull(sample.Gate);
        Assert.Equal(GateHoldReason.TrustNotConverged, sample.Gate!.Reason);
        Assert.Equal(h.Time.GetUtcNow() - firstHold, sample.Gate.Holding);
        Assert.Equal(held.Gate!.NextCheckAt, sample.Gate.NextCheckAt);
        Assert.Equal(h.Time.GetUtcNow() - held.PhaseStartedAt!.Value, sample.InPhase);
    }

    [Fact]
    public async Task An_unreachable_target_is_target_unavailable()
    {
        var h = await EngineHarness.CreateAsync();
        var r = await h.StartAsync();
        await DriveToAsync(h, r.Id, RotationPhase.VerifyTrust);
        foreach (var mesh in h.Meshes)
        {
            mesh.Propagate();
        }

        h.Meshes[1].Unavailable = true;
        await h.RunCurrentAsync(r.Id);

        var sample = Assert.Single((await new EstateMetricsReader(h.Store, h.Time).ReadAsync()).Rotations);
        Assert.Equal(GateHoldReason.TargetUnavailable, sample.Gate!.Reason);
    }

    [Fact]
    public async Task A_phase_waiting_for_approval_says_so_and_has_no_next_check()
    {
        var h = await EngineHarness.CreateAsync();
        var r = await h.StartAsync();
        await DriveToAsync(h, r.Id, RotationPhase.RetireOldRoot);
        h.Advance(TimeSpan.FromHours(2));
        var waitingSince = (await h.RecordAsync(r.Id)).PhaseStartedAt!.Value;

        var sample = Assert.Single((await new EstateMetricsReader(h.Store, h.Time).ReadAsync()).Rotations);

        Assert.Equal(RotationPhase.RetireOldRoot, sample.Phase);
        Assert.Equal(GateHoldReason.AwaitingApproval, sample.Gate!.Reason);
        Assert.Null(sample.Gate.NextCheckAt);
        Assert.Equal(h.Time.GetUtcNow() - waitingSince, sample.Gate.Holding);
        Assert.True(sample.Gate.Holding >= TimeSpan.FromHours(2));
    }

    [Fact]
    public async Task Finished_rotations_and_retired_CAs_leave_the_metrics()
    {
        var h = await EngineHarness.CreateAsync(autoConverge: true);
        var r = await h.StartAsync();
        await h.DriveAsync(r.Id);

        var metrics = await new EstateMetricsReader(h.Store, h.Time).ReadAsync();

        Assert.Empty(metrics.Rotations);
        Assert.DoesNotContain(metrics.Authorities, a => a.Ca == h.RootA.Id || a.Ca == h.IntermediateA1.Id);
        Assert.Equal(2, metrics.Authorities.Count);
    }

    [Fact]
    public async Task The_outbox_counts_undelivered_events_and_the_age_of_the_oldest()
    {
        var h = await EngineHarness.CreateAsync();
        var r = await h.StartAsync();
        await h.RunCurrentAsync(r.Id);
        var pending = await h.Store.ReadOutboxAsync(unpublishedOnly: true);
        Assert.NotEmpty(pending);
        h.Advance(TimeSpan.FromMinutes(7));

        var outbox = (await new EstateMetricsReader(h.Store, h.Time).ReadAsync()).Outbox;
        Assert.Equal(pending.Count, outbox.Pending);
        Assert.Equal(h.Time.GetUtcNow() - pending.Min(e => e.Event.Time), outbox.OldestPendingAge);

        await h.Store.MarkPublishedAsync([.. pending.Select(e => e.Event.Id)], h.Time.GetUtcNow());
        var drained = (await new EstateMetricsReader(h.Store, h.Time).ReadAsync()).Outbox;
        Assert.Equal(0, drained.Pending);
        Assert.Equal(TimeSpan.Zero, drained.OldestPendingAge);
    }

    [Theory]
    [InlineData(RotationPhase.SwitchIssuer, "refused: refusing to issue from B1: 1 trust store(s) lack its root", GateHoldReason.Refused)]
    [InlineData(RotationPhase.VerifyTrust, "cluster-1/mesh: unavailable: connection refused", GateHoldReason.TargetUnavailable)]
    [InlineData(RotationPhase.VerifyTrust, "cluster-1/mesh: 1 of 3 trust stores not as expected: ns-2 lacks B", GateHoldReason.TrustNotConverged)]
    [InlineData(RotationPhase.VerifyRetired, "cluster-0/mesh: 1 of 3 trust stores not as expected: ns-0 still holds A", GateHoldReason.TrustNotConverged)]
    [InlineData(RotationPhase.VerifyLeaves, "cluster-0/mesh: 2 leaves not issued by B1", GateHoldReason.LeavesNotRenewed)]
    [InlineData(RotationPhase.VerifyLeaves, "cluster-0/mesh: leaves not observable (istiod); waiting for the time rule until 2026-11-24 09:10:00Z", GateHoldReason.WaitingTimeRule)]
    [InlineData(RotationPhase.Prepare, "something new", GateHoldReason.Other)]
    public void Gate_reasons_fold_into_a_bounded_set(RotationPhase phase, string reason, GateHoldReason expected) =>
        Assert.Equal(expected, GateHoldReasons.Classify(phase, reason));

    [Fact]
    public void Every_reason_has_a_distinct_snake_case_label()
    {
        var labels = Enum.GetValues<GateHoldReason>().Select(r => r.ToLabel()).ToList();

        Assert.Equal(labels.Count, labels.Distinct().Count());
        Assert.All(labels, l => Assert.Matches("^[a-z_]+$", l));
    }

    private static async Task DriveToAsync(EngineHarness h, string id, RotationPhase phase)
    {
        while ((await h.RecordAsync(id)).CurrentPhase != phase)
        {
            foreach (var mesh in h.Meshes)
            {
                mesh.Propagate();
                mesh.Reissue();
            }

            var current = await h.RecordAsync(id);
            if (current.Policy.RequiresApproval(current.CurrentPhase!.Value))
            {
                await h.Service.ApproveAsync(id, null, "test");
            }

            await h.RunCurrentAsync(id);
            h.Advance(EngineHarness.TestPolicy.MaxLeafTtl + EngineHarness.TestPolicy.LeafGrace);
        }
    }
}
