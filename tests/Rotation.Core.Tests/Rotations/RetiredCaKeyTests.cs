using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Tests.Rotations.Support;

namespace Rotation.Core.Tests.Rotations;

/// <summary>The engine retires a CA's key in custody when it retires the CA, for rotations that complete and for aborts.</summary>
public sealed class RetiredCaKeyTests
{
    [Fact]
    public async Task A_completed_root_rotation_retires_the_old_keys_in_custody_and_they_sign_nothing()
    {
        var h = await EngineHarness.CreateAsync(autoConverge: true);
        var started = await h.StartAsync();

        var done = await h.DriveAsync(started.Id);

        Assert.Equal(RotationStatus.Completed, done.Status);
        foreach (var old in new[] { h.RootA, h.IntermediateA1 })
        {
            Assert.Equal(CustodyKeyState.Retired, (await h.Custody.GetKeyAsync(old.Key)).State);
            await Assert.ThrowsAsync<PkiException>(() => h.Custody.SignAsync(old.Key, new byte[] { 1, 2, 3 }));
        }

        var newIntermediate = await h.AuthorityAsync(done.Authorities.NewIntermediateId!);
        Assert.NotEmpty(await h.Custody.SignAsync(newIntermediate.Key, new byte[] { 1, 2, 3 }));
    }

    [Fact]
    public async Task An_intermediate_rotation_retires_only_the_old_intermediates_key()
    {
        var h = await EngineHarness.CreateAsync(autoConverge: true);
        var started = await h.StartAsync(RotationKind.Intermediate);

        var done = await h.DriveAsync(started.Id);

        Assert.Equal(RotationStatus.Completed, done.Status);
        Assert.Equal(CustodyKeyState.Retired, (await h.Custody.GetKeyAsync(h.IntermediateA1.Key)).State);
        Assert.Equal(CustodyKeyState.Active, (await h.Custody.GetKeyAsync(h.RootA.Key)).State);
        Assert.NotEmpty(await h.Custody.SignAsync(h.RootA.Key, new byte[] { 1, 2, 3 }));
    }
}
