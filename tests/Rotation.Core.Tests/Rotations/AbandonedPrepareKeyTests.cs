using Rotation.Core.Authorities;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Rotation.Core.Tests.Rotations.Support;

namespace Rotation.Core.Tests.Rotations;

/// <summary>
/// Keys a Prepare made before its commit belong to no CA record: a rotation that ends without that commit (aborted
/// after a crash mid-Prepare, aborted while Prepare ran, or failed in Prepare) must not leave them able to sign.
/// </summary>
public sealed class AbandonedPrepareKeyTests
{
    private static KeyReference NewKey(RotationRecord record, string caId) =>
        new("memory", CaIds.KeyName(record.Domain, caId), "1");

    private static string NewRootId(RotationRecord record) => CaIds.RotationRoot(CaIds.GenerationOf(record.Id));

    private static string NewIntermediateId(RotationRecord record) => CaIds.RotationIntermediate(CaIds.GenerationOf(record.Id));

    [Fact]
    public async Task Aborting_after_a_crash_in_Prepare_retires_the_root_key_it_had_made()
    {
        var h = await EngineHarness.CreateAsync();
        var started = await h.StartAsync();
        h.Custody.BeforeCreate = r => r.Role == CaRole.Intermediate ? throw new InvalidOperationException("killed") : Task.CompletedTask;
        await Assert.ThrowsAsync<InvalidOperationException>(() => h.RunCurrentAsync(started.Id));
        var rootKey = NewKey(started, NewRootId(started));
        Assert.Equal(CustodyKeyState.Active, (await h.Custody.GetKeyAsync(rootKey)).State);
        Assert.Null((await h.RecordAsync(started.Id)).Authorities.NewRootId);

        var aborted = await h.Service.AbortAsync(started.Id, "alice");

        Assert.Equal(RotationStatus.Aborted, aborted.Status);
        Assert.Equal(CustodyKeyState.Retired, (await h.Custody.GetKeyAsync(rootKey)).State);
        await Assert.ThrowsAsync<PkiException>(() => h.Custody.SignAsync(rootKey, new byte[] { 1, 2, 3 }));
        Assert.Contains((await h.RecordAsync(started.Id)).Audit, a => a.Event == "AbandonedKeysRetired" && a.Detail.Contains(rootKey.Name, StringComparison.Ordinal));
        // The domain's own keys are untouched.
        Assert.NotEmpty(await h.Custody.SignAsync(h.RootA.Key, new byte[] { 1, 2, 3 }));
        Assert.NotEmpty(await h.Custody.SignAsync(h.IntermediateA1.Key, new byte[] { 1, 2, 3 }));
    }

    [Fact]
    public async Task An_abort_that_lands_while_Prepare_mints_leaves_neither_key_able_to_sign()
    {
        var h = await EngineHarness.CreateAsync();
        var started = await h.StartAsync();
        h.Custody.BeforeCreate = async r =>
        {
            if (r.Role == CaRole.Intermediate)
            {
                h.Custody.BeforeCreate = null;
                await h.Service.AbortAsync(started.Id, "alice");
            }
        };

        var after = await h.RunCurrentAsync(started.Id);

        Assert.Equal(RotationStatus.Aborted, after.Status);
        Assert.Null(after.Authorities.NewIntermediateId);
        foreach (var caId in new[] { NewRootId(started), NewIntermediateId(started) })
        {
            var key = NewKey(started, caId);
            Assert.Equal(CustodyKeyState.Retired, (await h.Custody.GetKeyAsync(key)).State);
            await Assert.ThrowsAsync<PkiException>(() => h.Custody.SignAsync(key, new byte[] { 1, 2, 3 }));
        }

        Assert.DoesNotContain(await h.AuthoritiesAsync(), a => a.Status != CaStatus.Retired && a.Id != h.RootA.Id && a.Id != h.IntermediateA1.Id);
    }

    [Fact]
    public async Task A_Prepare_the_vault_refuses_half_way_fails_and_retires_what_it_made()
    {
        var h = await EngineHarness.CreateAsync();
        var started = await h.StartAsync();
        h.Custody.BeforeCreate = r => r.Role == CaRole.Intermediate ? throw new PkiException("vault refused the create") : Task.CompletedTask;

        await Assert.ThrowsAsync<PkiException>(() => h.RunCurrentAsync(started.Id));

        var failed = await h.RecordAsync(started.Id);
        Assert.Equal(RotationStatus.Failed, failed.Status);
        var rootKey = NewKey(started, NewRootId(started));
        Assert.Equal(CustodyKeyState.Retired, (await h.Custody.GetKeyAsync(rootKey)).State);
        Assert.Contains("retired the 1 key version(s) it had made", failed.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_intermediate_rotation_aborted_at_its_switch_ends_with_the_new_intermediates_key_retired()
    {
        var h = await EngineHarness.CreateAsync(autoConverge: true);
        var started = await h.StartAsync(RotationKind.Intermediate);
        var prepared = await h.RunCurrentAsync(started.Id);
        Assert.Equal(RotationPhase.SwitchIssuer, prepared.CurrentPhase);
        var minted = await h.AuthorityAsync(prepared.Authorities.NewIntermediateId!);

        await h.Service.AbortAsync(started.Id, "alice");
        var aborted = await h.DriveAsync(started.Id, autoApprove: false);

        Assert.Equal(RotationStatus.Aborted, aborted.Status);
        Assert.Equal(CaStatus.Retired, (await h.AuthorityAsync(minted.Id)).Status);
        Assert.Equal(CustodyKeyState.Retired, (await h.Custody.GetKeyAsync(minted.Key)).State);
        await Assert.ThrowsAsync<PkiException>(() => h.Custody.ExportAsync(minted.Key));
        Assert.NotEmpty(await h.Custody.SignAsync(h.IntermediateA1.Key, new byte[] { 1, 2, 3 }));
    }
}
