using Rotation.Core.Domain;
using Rotation.Core.Rotations;
using Rotation.Core.Tests.Rotations.Support;
using Rotation.Testing.Custody;

namespace Rotation.Core.Tests.Rotations;

public sealed class IntermediateRotationTests
{
    [Fact]
    public async Task An_intermediate_rotation_keeps_root_A_and_moves_issuing_to_a_new_intermediate_under_it()
    {
        var h = await EngineHarness.CreateAsync(autoConverge: true);
        var started = await h.StartAsync(RotationKind.Intermediate);

        var done = await h.DriveAsync(started.Id);

        Assert.Equal(RotationStatus.Completed, done.Status);
        Assert.Null(done.Authorities.NewRootId);
        var b1 = await h.AuthorityAsync(done.Authorities.NewIntermediateId!);
        Assert.Equal("root-a", b1.ParentId);
        Assert.True(b1.Certificate.IsSignedBy(h.RootA.Certificate));
        Assert.Equal(CaStatus.Active, (await h.AuthorityAsync("root-a")).Status);
        Assert.Equal(CaStatus.Retired, (await h.AuthorityAsync("int-a")).Status);
        Assert.All(h.Meshes, m => Assert.Equal([h.RootA.Sha256], m.Bundle.Fingerprints));
        Assert.All(h.Meshes, m => Assert.Equal(b1.Sha256, m.Issuer!.Issuer.Certificate.Sha256));
        Assert.All(h.Meshes, m => Assert.Equal(0, m.BundleWrites));
    }

    [Fact]
    public async Task Retiring_the_old_intermediate_is_refused_while_a_live_leaf_was_issued_by_it()
    {
        var h = await EngineHarness.CreateAsync(autoConverge: true);
        var r = await h.StartAsync(RotationKind.Intermediate);
        await h.DriveAsync(r.Id, autoApprove: false); // stops at RetireOldIntermediate
        await h.Service.ApproveAsync(r.Id, null, "alice");
        var a1 = new Rotation.Core.Pki.CertificateWithKey(h.IntermediateA1.Certificate, await h.Custody.ExportAsync(h.IntermediateA1.Key));
        h.Meshes[0].SetWorkloadLeaf(1, Rotation.Testing.TestPki.Leaf(a1, h.Time.GetUtcNow(), "straggler").Certificate);

        var ex = await Assert.ThrowsAsync<UnsafeStepException>(() => h.RunCurrentAsync(r.Id));

        Assert.Contains("retire int-a", ex.Message);
        Assert.Contains("cluster-0/mesh ns-1", ex.Message);
        var record = await h.RecordAsync(r.Id);
        Assert.Equal(RotationPhase.RetireOldIntermediate, record.CurrentPhase);
        Assert.Equal(CaStatus.Retiring, (await h.AuthorityAsync("int-a")).Status);
    }
}
