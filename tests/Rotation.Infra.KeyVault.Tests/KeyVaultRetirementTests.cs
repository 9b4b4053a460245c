using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Rotation.Core.Authorities;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Core.Rotations.Engine;
using Rotation.Infra.KeyVault.Simulator;
using Rotation.Infra.Sqlite;

namespace Rotation.Infra.KeyVault.Tests;

/// <summary>
/// A full root rotation through the engine (SQLite file, Key Vault custody, the real driver on a fake clock): the CAs it
/// retires have their Key Vault versions disabled and tagged retired before the store records them retired, signing
/// with them is refused by the custody and by the vault itself, and a crash after the vault disabled a key but before
/// the store committed resumes without failing on the already-disabled key.
/// </summary>
public sealed class KeyVaultRetirementTests : IDisposable
{
    private const string Domain = "mesh.example.internal";
    private readonly TempDirectory _home = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    public void Dispose() => _home.Dispose();

    [Fact]
    public async Task After_a_root_rotation_the_retired_root_and_intermediate_sign_nothing()
    {
        await using var fixture = await KeyVaultFixture.StartAsync();
        var (store, old, id) = await StartAsync(fixture);

        var finished = await DriveAsync(store, fixture.Custody(), id);

        Assert.Equal(RotationStatus.Completed, finished.Status);
        await AssertRetiredAsync(fixture, store, old);
    }

    [Fact]
    public async Task A_crash_after_the_vault_disabled_a_retired_key_and_before_the_commit_resumes_on_the_disabled_key()
    {
        await using var fixture = await KeyVaultFixture.StartAsync();
        var (store, old, id) = await StartAsync(fixture);
        var oldIntermediate = old.Single(a => a.Role == CaRole.Intermediate);
        // Run up to the last phase, then let the vault carry out the retirement PATCH of the old intermediate and drop
        // the connection before the answer: the process "dies" between the custody call and the store's commit.
        await DriveAsync(store, fixture.Custody(), id, stopBefore: RotationPhase.VerifyRetired);
        fixture.Vault.Faults.Enqueue(KeyVaultFault.Crash("PATCH", $"/certificates/{KeyVaultNames.For(oldIntermediate.Key.Name)}/", afterServing: true));
        var crashed = new RotationStepRunner(store, fixture.Custody(maxRetries: 0), new TargetlessRotation.NoTargets(), _time);
        await Assert.ThrowsAnyAsync<Exception>(() => crashed.RunAsync(id, RotationPhase.VerifyRetired));
        Assert.False(fixture.Vault.Versions(KeyVaultNames.For(oldIntermediate.Key.Name)).Single(v => v.Version == oldIntermediate.Key.Version).Enabled);
        Assert.Equal(CaStatus.Retiring, (await store.ListAuthoritiesAsync(Domain)).Single(a => a.Id == oldIntermediate.Id).Status);

        var resumed = await DriveAsync(store, fixture.Custody(), id);

        Assert.Equal(RotationStatus.Completed, resumed.Status);
        await AssertRetiredAsync(fixture, store, old);
    }

    private async Task AssertRetiredAsync(KeyVaultFixture fixture, SqliteStateStore store, IReadOnlyList<CertificateAuthority> old)
    {
        var custody = fixture.Custody();
        var now = await store.ListAuthoritiesAsync(Domain);
        foreach (var ca in old)
        {
            Assert.Equal(CaStatus.Retired, now.Single(a => a.Id == ca.Id).Status);
            var version = fixture.Vault.Versions(KeyVaultNames.For(ca.Key.Name)).Single(v => v.Version == ca.Key.Version);
            Assert.False(version.Enabled);
            Assert.Equal("retired", version.Tags["rotation-status"]);
            Assert.Equal(CustodyKeyState.Retired, (await custody.GetKeyAsync(ca.Key)).State);
            await Assert.ThrowsAsync<PkiException>(() => custody.SignAsync(ca.Key, new byte[] { 1, 2, 3 }));
            // The vault itself refuses too: keys/sign on the disabled version, sent without the custody's own check.
            Assert.Equal(HttpStatusCode.Forbidden, await RawSignAsync(fixture, KeyVaultNames.For(ca.Key.Name), ca.Key.Version!));
            // Retiring again (a re-run) is a no-op.
            await custody.RetireAsync(ca.Key);
        }

        // The CAs that replaced them still sign.
        var active = now.Where(a => a.Status == CaStatus.Active).ToList();
        Assert.Equal(2, active.Count);
        foreach (var ca in active)
        {
            Assert.NotEmpty(await custody.SignAsync(ca.Key, new byte[] { 1, 2, 3 }));
        }
    }

    private static async Task<HttpStatusCode> RawSignAsync(KeyVaultFixture fixture, string vaultName, string version)
    {
        using var http = new HttpClient(fixture.Vault.CreateHandler()) { BaseAddress = fixture.Vault.VaultUri };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Vault.AcceptedToken);
        using var response = await http.PostAsync(
            $"keys/{vaultName}/{version}/sign?api-version=7.5",
            new StringContent(new JsonObject { ["alg"] = "ES256", ["value"] = Base64Url.EncodeToString(new byte[32]) }.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        return response.StatusCode;
    }

    private async Task<(SqliteStateStore Store, IReadOnlyList<CertificateAuthority> Old, string Id)> StartAsync(KeyVaultFixture fixture)
    {
        var store = new SqliteStateStore(new SqliteStoreOptions { DatabasePath = _home.File("rotation.db") });
        await new CaService(store, fixture.Custody(), _time).InitAsync(Domain, KeyAlgorithm.EcdsaP256, TimeSpan.FromDays(3650), TimeSpan.FromDays(365));
        var old = await store.ListAuthoritiesAsync(Domain);
        var policy = new RotationPolicy { ApprovalRequiredFor = [], MaxLeafTtl = TimeSpan.FromMinutes(5), LeafGrace = TimeSpan.FromMinutes(1) };
        const string id = "rot-20261201120000-5e7a1d";
        await TargetlessRotation.StartRootAsync(store, Domain, id, policy, _time.GetUtcNow());
        return (store, old, id);
    }

    private async Task<RotationRecord> DriveAsync(SqliteStateStore store, KeyVaultKeyCustody custody, string id, RotationPhase? stopBefore = null)
    {
        var runner = new RotationStepRunner(store, custody, new TargetlessRotation.NoTargets(), _time);
        for (var i = 0; i < 100; i++)
        {
            var record = await runner.LoadAsync(id);
            if (record.IsFinished || record.CurrentPhase == stopBefore)
            {
                return record;
            }

            var after = await runner.RunAsync(id, record.CurrentPhase!.Value);
            if (after.Gate is { } gate)
            {
                _time.SetUtcNow(gate.NextCheckAt > _time.GetUtcNow() ? gate.NextCheckAt : _time.GetUtcNow().AddSeconds(1));
            }
        }

        throw new InvalidOperationException("the rotation did not finish in 100 steps");
    }
}
