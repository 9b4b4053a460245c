using Rotation.Core.Domain;
using Rotation.Core.Events;
using Rotation.Core.Rotations;
using Rotation.Core.Tests.Rotations.Support;
using Rotation.Testing.Custody;

namespace Rotation.Core.Tests.Rotations;

/// <summary>The engine refuses dangerous writes on live evidence, whatever the phase order says.</summary>
public sealed class SafetyRefusalTests
{
    private static async Task<(EngineHarness H, string Id)> AtAsync(RotationPhase phase)
    {
        var h = await EngineHarness.CreateAsync(autoConverge: true);
        var r = await h.StartAsync();
        await h.Service.ApproveAsync(r.Id, RotationPhase.RetireOldRoot, "alice");
        await h.RunUntilAsync(r.Id, phase);

        return (h, r.Id);
    }

    [Fact]
    public async Task Switching_the_issuer_is_refused_while_a_trust_store_lacks_the_new_root()
    {
        var (h, id) = await AtAsync(RotationPhase.SwitchIssuer);
        h.Meshes[1].SetWorkloadTrust(0, [h.RootA.Sha256]); // a namespace created after VerifyTrust, holding only A

        var ex = await Assert.ThrowsAsync<UnsafeStepException>(() => h.RunCurrentAsync(id));

        Assert.Contains("refusing to issue from int-", ex.Message);
        Assert.Contains("cluster-1/mesh ns-0", ex.Message);
        Assert.All(h.Meshes, m => Assert.Equal(h.IntermediateA1.Sha256, m.Issuer!.Issuer.Certificate.Sha256));
        var record = await h.RecordAsync(id);
        Assert.Equal(RotationPhase.SwitchIssuer, record.CurrentPhase);
        Assert.StartsWith("refused:", record.Gate!.Reason);
        Assert.Contains(await h.Store.ReadOutboxAsync(), e => e.Event.Type == EventTypes.GateBlocked && e.Event.Subject.EndsWith(nameof(RotationPhase.SwitchIssuer)));
    }

    [Fact]
    public async Task Dropping_the_old_root_is_refused_while_a_live_leaf_still_chains_to_it()
    {
        var (h, id) = await AtAsync(RotationPhase.RetireOldRoot);
        var a1 = new Rotation.Core.Pki.CertificateWithKey(h.IntermediateA1.Certificate, await h.Custody.ExportAsync(h.IntermediateA1.Key));
        h.Meshes[0].SetWorkloadLeaf(2, Rotation.Testing.TestPki.Leaf(a1, h.Time.GetUtcNow(), "straggler").Certificate);

        var ex = await Assert.ThrowsAsync<UnsafeStepException>(() => h.RunCurrentAsync(id));

        Assert.Contains("refusing to drop root root-a", ex.Message);
        Assert.Contains("cluster-0/mesh ns-2", ex.Message);
        Assert.All(h.Meshes, m => Assert.Equal(2, m.Bundle.Count));
        Assert.Equal(RotationPhase.RetireOldRoot, (await h.RecordAsync(id)).CurrentPhase);
    }

    [Fact]
    public async Task A_refused_step_runs_once_the_state_is_safe_again()
    {
        var (h, id) = await AtAsync(RotationPhase.SwitchIssuer);
        h.Meshes[1].SetWorkloadTrust(0, [h.RootA.Sha256]);
        await Assert.ThrowsAsync<UnsafeStepException>(() => h.RunCurrentAsync(id));

        h.Meshes[1].Propagate();
        var record = await h.RunCurrentAsync(id);

        Assert.Equal(RotationPhase.VerifyLeaves, record.CurrentPhase);
    }

    [Fact]
    public async Task Unobservable_trust_holds_the_switch_instead_of_assuming_it_is_safe()
    {
        var (h, id) = await AtAsync(RotationPhase.SwitchIssuer);
        h.Meshes[0].Unavailable = true;

        var held = await h.RunCurrentAsync(id);

        Assert.Equal(RotationPhase.SwitchIssuer, held.CurrentPhase);
        Assert.Contains("cannot confirm", held.Gate!.Reason);
        Assert.Equal(h.IntermediateA1.Sha256, h.Meshes[1].Issuer!.Issuer.Certificate.Sha256);
    }
}
