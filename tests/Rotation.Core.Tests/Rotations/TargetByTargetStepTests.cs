using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Rotation.Core.Rotations.Evidence;
using Rotation.Core.Rotations.Steps;
using Rotation.Core.Tests.Rotations.Support;
using Rotation.Testing;

namespace Rotation.Core.Tests.Rotations;

/// <summary>
/// The steps run one target at a time, as the Durable host's cluster activities run them
/// (<see cref="RotationStepRunner.AdvanceAsync"/> and
/// <see cref="RotationStepRunner.RunOnTargetAsync"/>): the same outcome as a whole step,
/// the cross-cluster checks still read every cluster before any is written, and answers survive a crash.
/// </summary>
public sealed class TargetByTargetStepTests
{
    [Fact]
    public async Task A_root_rotation_run_one_target_at_a_time_ends_where_the_whole_step_run_ends()
    {
        var whole = await EngineHarness.CreateAsync(meshes: 3, autoConverge: true);
        var split = await EngineHarness.CreateAsync(meshes: 3, autoConverge: true);
        split.TargetBatch = 2;

        var wholeDone = await whole.DriveAsync((await whole.StartAsync()).Id);
        var splitDone = await split.DriveAsync((await split.StartAsync()).Id);

        Assert.Equal(RotationStatus.Completed, wholeDone.Status);
        Assert.Equal(RotationStatus.Completed, splitDone.Status);
        Assert.Null(splitDone.Round);
        var newRoot = await split.AuthorityAsync(splitDone.Authorities.NewRootId!);
        var newIntermediate = await split.AuthorityAsync(splitDone.Authorities.NewIntermediateId!);
        Assert.All(split.Meshes, m =>
        {
            Assert.Equal([newRoot.Sha256], m.Bundle.Fingerprints);
            Assert.Equal(newIntermediate.Sha256, m.Issuer!.Issuer.Certificate.Sha256);
        });
        Assert.Equal(whole.Meshes.Select(m => (m.BundleWrites, m.IssuerWrites)), split.Meshes.Select(m => (m.BundleWrites, m.IssuerWrites)));
        Assert.Equal(wholeDone.Audit.Select(a => (a.Event, a.Phase)), splitDone.Audit.Select(a => (a.Event, a.Phase)));
    }

    [Fact]
    public async Task Drift_on_the_last_cluster_read_refuses_the_write_before_any_cluster_is_written()
    {
        var h = await EngineHarness.CreateAsync(meshes: 3, autoConverge: true);
        var id = (await h.StartAsync()).Id;
        await h.RunUntilAsync(id, RotationPhase.DistributeTrust);
        var foreign = TestPki.Hierarchy(h.Time.GetUtcNow(), name: "Z");
        var drifted = false;

        // Batches of one: clusters 0 and 1 are read (and found as expected) before cluster 2 drifts and is read.
        var held = await h.RunTargetByTargetAsync(id, RotationPhase.DistributeTrust, batchSize: 1, batch =>
        {
            if (!drifted && batch.Targets[0] == h.Meshes[1].Name)
            {
                h.Meshes[2].Overwrite(foreign.Bundle, new IssuerMaterial(foreign.Intermediate, [foreign.Intermediate.Certificate, foreign.Root.Certificate], foreign.Bundle));
                drifted = true;
            }

            return Task.CompletedTask;
        });

        Assert.True(drifted);
        Assert.Equal(RotationPhase.DistributeTrust, held.CurrentPhase);
        Assert.StartsWith("refused: drift: cluster 'cluster-2'", held.Gate!.Reason);
        Assert.All(h.Meshes, m => Assert.Equal(0, m.BundleWrites));
        Assert.Null(held.Round);
    }

    [Fact]
    public async Task A_cluster_that_drifts_between_the_estate_wide_read_and_its_own_write_is_not_written()
    {
        var h = await EngineHarness.CreateAsync(meshes: 3, autoConverge: true);
        var id = (await h.StartAsync()).Id;
        await h.RunUntilAsync(id, RotationPhase.DistributeTrust);
        var foreign = TestPki.Hierarchy(h.Time.GetUtcNow(), name: "Z");

        // The first batch of the write round is cluster 0's write; cluster 1 drifts right after it.
        var held = await h.RunTargetByTargetAsync(id, RotationPhase.DistributeTrust, batchSize: 1, batch =>
        {
            if (batch.Round == 1 && batch.Targets[0] == h.Meshes[0].Name)
            {
                h.Meshes[1].Overwrite(foreign.Bundle, new IssuerMaterial(foreign.Intermediate, [foreign.Intermediate.Certificate, foreign.Root.Certificate], foreign.Bundle));
            }

            return Task.CompletedTask;
        });

        Assert.StartsWith("refused: drift: cluster 'cluster-1'", held.Gate!.Reason);
        Assert.Equal(1, h.Meshes[0].BundleWrites);
        Assert.Equal(0, h.Meshes[1].BundleWrites);
        Assert.Equal([foreign.Root.Certificate.Sha256], h.Meshes[1].Bundle.Fingerprints);
    }

    [Fact]
    public async Task A_store_lacking_the_new_root_on_any_cluster_refuses_the_issuer_switch_on_every_cluster()
    {
        var h = await EngineHarness.CreateAsync(meshes: 3, autoConverge: true);
        var r = await h.StartAsync();
        await h.Service.ApproveAsync(r.Id, RotationPhase.RetireOldRoot, "alice");
        await h.RunUntilAsync(r.Id, RotationPhase.SwitchIssuer);
        h.Meshes[2].SetWorkloadTrust(0, [h.RootA.Sha256]);
        h.TargetBatch = 1;

        var held = await h.RunCurrentAsync(r.Id);

        Assert.Equal(RotationPhase.SwitchIssuer, held.CurrentPhase);
        Assert.StartsWith("refused: refusing to issue from int-", held.Gate!.Reason);
        Assert.Contains("cluster-2/mesh ns-0", held.Gate.Reason);
        Assert.All(h.Meshes, m => Assert.Equal(h.IntermediateA1.Sha256, m.Issuer!.Issuer.Certificate.Sha256));
    }

    [Fact]
    public async Task Answers_kept_in_the_record_survive_a_lost_advance_and_are_not_asked_again()
    {
        var h = await EngineHarness.CreateAsync(meshes: 3, autoConverge: true);
        var id = (await h.StartAsync()).Id;
        await h.RunUntilAsync(id, RotationPhase.VerifyTrust);
        var phase = RotationPhase.VerifyTrust;

        var first = (await h.Runner.AdvanceAsync(id, phase, null, batchSize: 1)).Next!;
        var answer = (await h.Runner.RunOnTargetAsync(id, first, first.Targets[0]))!;
        var second = (await h.Runner.AdvanceAsync(id, phase, new RoundAnswers(first, [answer]), batchSize: 1)).Next!;
        // The orchestration crashed before it saw 'second': it advances again with no answers (or the same ones).
        var again = (await h.Runner.AdvanceAsync(id, phase, null, batchSize: 1)).Next!;
        var replayed = (await h.Runner.AdvanceAsync(id, phase, new RoundAnswers(first, [answer]), batchSize: 1)).Next!;

        Assert.Equal([h.Meshes[0].Name], first.Targets);
        Assert.Equal([h.Meshes[1].Name], second.Targets);
        Assert.Equal(second.Targets, again.Targets);
        Assert.Equal(second.Targets, replayed.Targets);
        var stored = (await h.RecordAsync(id)).Round!;
        Assert.Equal([h.Meshes[0].Name], stored.Parts.Keys);
        Assert.True(stored.Parts[h.Meshes[0].Name].Value!.Done);
    }

    [Fact]
    public async Task Answers_to_a_round_an_abort_replaced_are_dropped_and_write_nothing()
    {
        var h = await EngineHarness.CreateAsync(meshes: 3, autoConverge: true);
        var id = (await h.StartAsync()).Id;
        await h.RunUntilAsync(id, RotationPhase.DistributeTrust);
        var phase = RotationPhase.DistributeTrust;
        var check = (await h.Runner.AdvanceAsync(id, phase, null, batchSize: 3)).Next!;
        var answers = new List<TargetResult<TargetPart>>();
        foreach (var target in check.Targets)
            answers.Add((await h.Runner.RunOnTargetAsync(id, check, target))!);
        var write = (await h.Runner.AdvanceAsync(id, phase, new RoundAnswers(check, answers), batchSize: 3)).Next!;

        Assert.NotNull((await h.RecordAsync(id)).Round);
        await h.Service.AbortAsync(id, "alice");
        Assert.Null((await h.RecordAsync(id)).Round);
        var late = await h.Runner.RunOnTargetAsync(id, write, write.Targets[0]);
        var after = await h.Runner.AdvanceAsync(id, phase, new RoundAnswers(write, []), batchSize: 3);

        Assert.Equal(1, write.Round);
        Assert.Null(late);
        Assert.Null(after.Next);
        Assert.NotEqual(RotationPhase.DistributeTrust, after.Record.CurrentPhase);
        Assert.All(h.Meshes, m => Assert.Equal(0, m.BundleWrites));
    }
}
