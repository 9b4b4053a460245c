using Rotation.Core.Rotations;
using Rotation.Core.Tests.Rotations.Support;
using Rotation.Testing.Custody;

namespace Rotation.Core.Tests.Rotations;

public sealed class CrashAndIdempotencyTests
{
    [Theory]
    [InlineData(RotationKind.Root)]
    [InlineData(RotationKind.Intermediate)]
    public async Task A_crash_before_every_commit_ends_in_the_same_state_and_events_as_a_clean_run(RotationKind kind)
    {
        var clean = await EngineHarness.CreateAsync(autoConverge: true);
        var cleanId = (await clean.StartAsync(kind)).Id;
        await clean.DriveAsync(cleanId);

        var crashy = await EngineHarness.CreateAsync(autoConverge: true);
        var id = (await crashy.StartAsync(kind)).Id;
        var crashes = 0;
        while ((await crashy.RecordAsync(id)).IsActive)
        {
            var current = await crashy.RecordAsync(id);
            var phase = current.CurrentPhase!.Value;
            // Only phases that wait for one can be approved: approving any other is refused.
            if (current.Policy.RequiresApproval(phase))
            {
                await crashy.Service.ApproveAsync(id, phase, "test");
            }

            crashy.Store.FailNextCommit = true;
            await Assert.ThrowsAsync<IOException>(() => crashy.RunCurrentAsync(id));
            crashes++;
            Assert.Equal(phase, (await crashy.RecordAsync(id)).CurrentPhase);
            await crashy.RunCurrentAsync(id);
        }

        var record = await crashy.RecordAsync(id);
        Assert.Equal(RotationStatus.Completed, record.Status);
        Assert.Equal(RotationPlans.For(kind).Count, crashes);
        for (var i = 0; i < crashy.Meshes.Count; i++)
        {
            Assert.Equal(clean.Meshes[i].BundleWrites, crashy.Meshes[i].BundleWrites);
            Assert.Equal(clean.Meshes[i].IssuerWrites, crashy.Meshes[i].IssuerWrites);
        }

        static (string, string) Shape(Ports.OutboxEntry e) =>
            (e.Event.Type, e.Event.Subject.Contains("/phases/") ? e.Event.Subject.Split('/')[^1] : "rotation");
        var crashyEvents = await crashy.Store.ReadOutboxAsync();
        Assert.Equal((await clean.Store.ReadOutboxAsync()).Select(Shape), crashyEvents.Select(Shape));
        Assert.Equal(crashyEvents.Count, crashyEvents.Select(e => e.Event.Id).Distinct().Count());
        Assert.Equal(
            (await clean.AuthoritiesAsync()).Select(a => (a.Role, a.Status)).Order(),
            (await crashy.AuthoritiesAsync()).Select(a => (a.Role, a.Status)).Order());
    }

    [Theory]
    [InlineData(RotationKind.Root, RotationPhase.VerifyLeaves)]
    [InlineData(RotationKind.Root, RotationPhase.VerifyTrust)]
    [InlineData(RotationKind.Intermediate, RotationPhase.VerifyLeaves)]
    public async Task A_crash_before_every_commit_of_an_abort_ends_like_a_clean_abort(RotationKind kind, RotationPhase abortAt)
    {
        async Task<(EngineHarness H, string Id)> AbortedAtAsync()
        {
            var h = await EngineHarness.CreateAsync(autoConverge: true);
            var id = (await h.StartAsync(kind)).Id;
            while ((await h.RecordAsync(id)).CurrentPhase != abortAt)
            {
                await h.RunCurrentAsync(id);
            }

            await h.Service.AbortAsync(id, "test");
            return (h, id);
        }

        var (clean, cleanId) = await AbortedAtAsync();
        await clean.DriveAsync(cleanId);
        var (crashy, id) = await AbortedAtAsync();
        while ((await crashy.RecordAsync(id)).IsActive)
        {
            var phase = (await crashy.RecordAsync(id)).CurrentPhase!.Value;
            crashy.Store.FailNextCommit = true;
            await Assert.ThrowsAsync<IOException>(() => crashy.RunCurrentAsync(id));
            Assert.Equal(phase, (await crashy.RecordAsync(id)).CurrentPhase);
            crashy.Advance(EngineHarness.TestPolicy.MaxLeafTtl + EngineHarness.TestPolicy.LeafGrace);
            await crashy.RunCurrentAsync(id);
        }

        Assert.Equal(RotationStatus.Aborted, (await crashy.RecordAsync(id)).Status);
        for (var i = 0; i < crashy.Meshes.Count; i++)
        {
            Assert.Equal(clean.Meshes[i].BundleWrites, crashy.Meshes[i].BundleWrites);
            Assert.Equal(clean.Meshes[i].IssuerWrites, crashy.Meshes[i].IssuerWrites);
            Assert.Equal([crashy.RootA.Sha256], crashy.Meshes[i].Bundle.Fingerprints);
            Assert.Equal(crashy.IntermediateA1.Sha256, crashy.Meshes[i].Issuer!.Issuer.Certificate.Sha256);
        }

        static (string, string) Shape(Ports.OutboxEntry e) =>
            (e.Event.Type, e.Event.Subject.Contains("/phases/") ? e.Event.Subject.Split('/')[^1] : "rotation");
        var crashyEvents = await crashy.Store.ReadOutboxAsync();
        Assert.Equal((await clean.Store.ReadOutboxAsync()).Select(Shape), crashyEvents.Select(Shape));
        Assert.Equal(crashyEvents.Count, crashyEvents.Select(e => e.Event.Id).Distinct().Count());
    }

    [Fact]
    public async Task Running_a_phase_that_is_no_longer_current_changes_nothing()
    {
        var h = await EngineHarness.CreateAsync(autoConverge: true);
        var id = (await h.StartAsync()).Id;
        await h.RunCurrentAsync(id); // Prepare
        await h.RunCurrentAsync(id); // DistributeTrust
        var before = await h.RecordAsync(id);
        var commits = h.Store.Commits;

        var again = await h.Runner.RunAsync(id, RotationPhase.DistributeTrust);
        var prepareAgain = await h.Runner.RunAsync(id, RotationPhase.Prepare);

        Assert.Equal(before.Version, again.Version);
        Assert.Equal(before.Version, prepareAgain.Version);
        Assert.Equal(commits, h.Store.Commits);
        Assert.All(h.Meshes, m => Assert.Equal(1, m.BundleWrites));
        Assert.Equal(2, (await h.AuthoritiesAsync()).Count(a => a.Status == Domain.CaStatus.Prepared));
    }

    [Fact]
    public async Task Prepare_rerun_after_a_crash_reuses_the_stored_keys_instead_of_minting_orphans()
    {
        var h = await EngineHarness.CreateAsync();
        var id = (await h.StartAsync()).Id;

        h.Store.FailNextCommit = true;
        await Assert.ThrowsAsync<IOException>(() => h.RunCurrentAsync(id));
        var record = await h.RunCurrentAsync(id);

        var b1 = await h.AuthorityAsync(record.Authorities.NewIntermediateId!);
        var key = await h.Custody.ExportAsync(b1.Key);
        Assert.True(key.Matches(b1.Certificate));
        Assert.Equal(4, (await h.AuthoritiesAsync()).Count);
    }
}
