using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Rotations;
using Rotation.Core.Tests.Rotations.Support;
using Rotation.Testing.Custody;

namespace Rotation.Core.Tests.Rotations;

public sealed class RootRotationTests
{
    [Fact]
    public async Task A_root_rotation_ends_with_every_target_on_B_only_and_the_old_CAs_retired()
    {
        var h = await EngineHarness.CreateAsync(autoConverge: true);
        var started = await h.StartAsync();

        var done = await h.DriveAsync(started.Id);

        Assert.Equal(RotationStatus.Completed, done.Status);
        var newRoot = await h.AuthorityAsync(done.Authorities.NewRootId!);
        var newIntermediate = await h.AuthorityAsync(done.Authorities.NewIntermediateId!);
        Assert.Equal(CaStatus.Active, newRoot.Status);
        Assert.Equal(CaStatus.Active, newIntermediate.Status);
        Assert.Equal(CaStatus.Retired, (await h.AuthorityAsync("root-a")).Status);
        Assert.Equal(CaStatus.Retired, (await h.AuthorityAsync("int-a")).Status);
        Assert.True(newIntermediate.Certificate.IsSignedBy(newRoot.Certificate));
        foreach (var mesh in h.Meshes)
        {
            Assert.Equal([newRoot.Sha256], mesh.Bundle.Fingerprints);
            Assert.Equal(newIntermediate.Sha256, mesh.Issuer!.Issuer.Certificate.Sha256);
            Assert.Equal([newIntermediate.Sha256, newRoot.Sha256], mesh.Issuer.ChainToRoot.Select(c => c.Sha256));
        }
    }

    [Fact]
    public async Task Every_transition_is_in_the_outbox_once_in_order()
    {
        var h = await EngineHarness.CreateAsync(autoConverge: true);
        var started = await h.StartAsync();

        await h.DriveAsync(started.Id);

        var events = (await h.Store.ReadOutboxAsync()).Select(e => e.Event).ToList();
        Assert.Equal(events.Count, events.Select(e => e.Id).Distinct().Count());
        var phases = RotationPlans.For(RotationKind.Root);
        Assert.Equal(phases, events.Where(e => e.Type == EventTypes.PhaseStarted).Select(e => Enum.Parse<RotationPhase>(e.Subject.Split('/')[^1])));
        Assert.Equal(phases, events.Where(e => e.Type == EventTypes.PhaseCompleted).Select(e => Enum.Parse<RotationPhase>(e.Subject.Split('/')[^1])));
        Assert.Equal(EventTypes.RotationCompleted, events[^1].Type);
        var approval = Assert.Single(events, e => e.Type == EventTypes.ApprovalRequired);
        Assert.EndsWith(nameof(RotationPhase.RetireOldRoot), approval.Subject);
        Assert.All(events, e => Assert.Equal($"/rotation/domains/{EngineHarness.Domain}/rotations/{started.Id}", e.Source));
    }

    [Fact]
    public async Task The_old_intermediate_keeps_issuing_until_trust_in_B_is_verified()
    {
        var h = await EngineHarness.CreateAsync();
        var r = await h.StartAsync();

        await h.RunCurrentAsync(r.Id); // Prepare
        var afterDistribute = await h.RunCurrentAsync(r.Id);

        Assert.Equal(RotationPhase.VerifyTrust, afterDistribute.CurrentPhase);
        Assert.All(h.Meshes, m => Assert.Equal(2, m.Bundle.Count));
        Assert.All(h.Meshes, m => Assert.Equal(h.IntermediateA1.Sha256, m.Issuer!.Issuer.Certificate.Sha256));
    }

    [Fact]
    public async Task Only_one_rotation_per_domain_can_be_active()
    {
        var h = await EngineHarness.CreateAsync();
        var first = await h.StartAsync();

        var ex = await Assert.ThrowsAsync<DomainException>(() => h.StartAsync());

        Assert.Contains(first.Id, ex.Message);
        Assert.Single(await h.Store.ListRotationsAsync());
    }

    [Fact]
    public async Task Start_is_refused_as_unsafe_when_a_target_fails_preflight_and_nothing_is_written()
    {
        var h = await EngineHarness.CreateAsync();
        h.Meshes[1].FailingPreflight = new Ports.PreflightCheck("multi-root trust", false, "istiod runs without ISTIO_MULTIROOT_MESH=true");

        var ex = await Assert.ThrowsAsync<UnsafeStepException>(() => h.StartAsync());

        Assert.Contains("cluster-1/mesh", ex.Message);
        Assert.Contains("ISTIO_MULTIROOT_MESH", ex.Message);
        Assert.Empty(await h.Store.ListRotationsAsync());
        Assert.Empty(await h.Store.ReadOutboxAsync());
    }

    [Fact]
    public async Task Start_is_refused_for_an_unknown_domain_and_an_unreachable_target()
    {
        var h = await EngineHarness.CreateAsync();

        var unknown = await Assert.ThrowsAsync<DomainException>(() => h.Service.StartAsync("nope.internal", RotationKind.Root, new RotationPolicy(), "t"));
        h.Meshes[0].Unavailable = true;
        var unreachable = await Assert.ThrowsAsync<DomainException>(() => h.StartAsync());

        Assert.Contains("unknown trust domain 'nope.internal'", unknown.Message);
        Assert.Contains("cluster-0/mesh", unreachable.Message);
        Assert.Empty(await h.Store.ListRotationsAsync());
    }
}

public sealed class FailedRotationTests
{
    [Fact]
    public async Task A_Prepare_the_vault_refuses_fails_the_rotation_frees_the_domain_and_says_why()
    {
        var h = await EngineHarness.CreateAsync();
        var first = await h.StartAsync();
        h.Custody.RefuseCreates = "vault is read-only";

        var ex = await Assert.ThrowsAsync<Rotation.Core.Pki.PkiException>(() => h.RunCurrentAsync(first.Id));
        var failed = await h.RecordAsync(first.Id);
        h.Custody.RefuseCreates = null;
        var second = await h.StartAsync();

        Assert.Contains("read-only", ex.Message);
        Assert.Equal(RotationStatus.Failed, failed.Status);
        Assert.Contains("read-only", failed.FailureReason);
        Assert.Contains(await h.Store.ReadOutboxAsync(), e => e.Event.Type == EventTypes.RotationFailed && e.Event.Source.EndsWith(first.Id));
        Assert.All(h.Meshes, m => Assert.Equal(0, m.BundleWrites + m.IssuerWrites));
        Assert.Equal(2, (await h.AuthoritiesAsync()).Count);
        Assert.NotEqual(first.Id, second.Id);
    }
}
