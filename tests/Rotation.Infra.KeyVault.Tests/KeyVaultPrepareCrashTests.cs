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
/// The engine's Prepare over Key Vault custody and a real SQLite file: the process dies in the middle of a Key Vault
/// call (the connection drops before or after the vault carried it out), and a fresh runner with a fresh custody
/// re-runs the phase. Afterwards the store names exactly the versions the vault holds, there is no second version of
/// any key (Key Vault would make one for a new create under the same name), no pending create, one merge per key.
/// </summary>
public sealed class KeyVaultPrepareCrashTests : IDisposable
{
    private const string Domain = "mesh.example.internal";
    private const string RotationId = "rot-20261201120000-c0ffee";
    // Rotation's key names carry the domain's dots; the vault holds them under KeyVaultNames.For(…), which the faults
    // and the assertions below address (a dotted name in a URI is refused by the vault, as the service refuses it).
    private static readonly string RootName = KeyVaultNames.For(Domain + "-root-20261201120000-c0ffee");
    private static readonly string IntermediateName = KeyVaultNames.For(Domain + "-int-20261201120000-c0ffee");

    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    public static TheoryData<string, string, string?, bool> PrepareCalls => new()
    {
        { "POST", $"{RootName}/create", "\"Self\"", false },
        { "POST", $"{RootName}/create", "\"Self\"", true },
        { "POST", $"{RootName}/create", "\"Unknown\"", false },
        { "POST", $"{RootName}/create", "\"Unknown\"", true },
        // The first keys/sign of Prepare is the new root signing itself (init's signatures came before the fault).
        { "POST", "/sign", null, false },
        { "POST", "/sign", null, true },
        { "POST", $"{RootName}/pending/merge", null, false },
        { "POST", $"{RootName}/pending/merge", null, true },
        { "PATCH", $"/certificates/{RootName}/", null, false },
        { "PATCH", $"/certificates/{RootName}/", null, true },
        { "POST", $"{IntermediateName}/create", null, false },
        { "POST", $"{IntermediateName}/create", null, true },
        { "POST", $"{IntermediateName}/pending/merge", null, false },
        { "POST", $"{IntermediateName}/pending/merge", null, true },
    };

    [Theory]
    [MemberData(nameof(PrepareCalls))]
    public async Task A_crash_in_any_Key_Vault_call_of_Prepare_resumes_to_the_recorded_versions_without_a_second_one(string method, string path, string? body, bool afterServing)
    {
        await using var fixture = await KeyVaultFixture.StartAsync();
        var vault = fixture.Vault;
        var store = await StartRootRotationAsync(fixture);
        var signaturesBefore = vault.Signatures.Values.Sum();

        await CrashPrepareAsync(fixture, store, KeyVaultFault.Crash(method, path, body, afterServing));
        Assert.Equal(0, vault.Faults.Pending);
        Assert.Equal(RotationPhase.Prepare, (await store.FindRotationAsync(RotationId))!.CurrentPhase);

        var resumed = await new RotationStepRunner(store, fixture.Custody(), new TargetlessRotation.NoTargets(), TimeProvider.System).RunAsync(RotationId, RotationPhase.Prepare);

        Assert.Equal(RotationPhase.DistributeTrust, resumed.CurrentPhase);
        var authorities = await store.ListAuthoritiesAsync(Domain);
        var root = authorities.Single(a => a.Id == resumed.Authorities.NewRootId);
        var intermediate = authorities.Single(a => a.Id == resumed.Authorities.NewIntermediateId);

        // Root: the temporary self-signed version (disabled) and the merged one, which the store names.
        var rootVersions = vault.Versions(RootName);
        Assert.Equal(2, rootVersions.Count);
        Assert.False(rootVersions[0].Enabled);
        Assert.Equal(rootVersions[1].Version, root.Key.Version);
        // Intermediate: one version, the one the store names.
        Assert.Equal(intermediate.Key.Version, Assert.Single(vault.Versions(IntermediateName)).Version);
        Assert.False(vault.HasPendingOperation(RootName));
        Assert.False(vault.HasPendingOperation(IntermediateName));
        Assert.Single(vault.Exchanges, e => e.Path.Contains($"{RootName}/pending/merge", StringComparison.Ordinal) && e.Status == 201);
        Assert.Single(vault.Exchanges, e => e.Path.Contains($"{IntermediateName}/pending/merge", StringComparison.Ordinal) && e.Status == 201);

        // What the store recorded is what the vault holds under that exact version, and the chain is Rotation's.
        var custody = fixture.Custody();
        Assert.Equal(root.Certificate, (await custody.GetKeyAsync(root.Key)).Certificate);
        Assert.Equal(intermediate.Certificate, (await custody.GetKeyAsync(intermediate.Key)).Certificate);
        Assert.True(intermediate.Certificate.IsSignedBy(root.Certificate));
        Assert.True(root.Certificate.IsSelfSigned);
        Assert.Equal(CaStatus.Prepared, root.Status);

        // One signature per certificate, plus one only when a signed certificate died with the process before its merge.
        var lost = (path == "/sign" && afterServing) || (path.EndsWith("pending/merge", StringComparison.Ordinal) && !afterServing);
        Assert.Equal(signaturesBefore + (lost ? 3 : 2), vault.Signatures.Values.Sum());

        // A re-run of a phase already committed touches nothing in the vault.
        var exchanges = vault.Exchanges.Count;
        await new RotationStepRunner(store, fixture.Custody(), new TargetlessRotation.NoTargets(), TimeProvider.System).RunAsync(RotationId, RotationPhase.Prepare);
        Assert.Equal(exchanges, vault.Exchanges.Count);
    }

    /// <summary>
    /// The operator aborts instead of resuming: whatever the dead Prepare had made in the vault (a temporary or merged
    /// root version, a pending create) belongs to no CA record, and must end disabled or cancelled, never deleted.
    /// </summary>
    [Theory]
    [MemberData(nameof(PrepareCalls))]
    public async Task Aborting_after_a_crash_in_any_Key_Vault_call_of_Prepare_leaves_nothing_that_signs(string method, string path, string? body, bool afterServing)
    {
        await using var fixture = await KeyVaultFixture.StartAsync();
        var vault = fixture.Vault;
        var store = await StartRootRotationAsync(fixture);
        await CrashPrepareAsync(fixture, store, KeyVaultFault.Crash(method, path, body, afterServing));
        var made = vault.Versions(RootName).Count + vault.Versions(IntermediateName).Count
            + (vault.HasPendingOperation(RootName) ? 1 : 0) + (vault.HasPendingOperation(IntermediateName) ? 1 : 0);

        var aborted = await new RotationService(store, fixture.Custody(), new TargetlessRotation.NoTargets(), TimeProvider.System).AbortAsync(RotationId, "alice");

        Assert.Equal(RotationStatus.Aborted, aborted.Status);
        Assert.True(made > 0 || method == "POST" && path.EndsWith("create", StringComparison.Ordinal) && !afterServing, "the crash left nothing in the vault to clean up");
        Assert.All(vault.Versions(RootName).Concat(vault.Versions(IntermediateName)), v => Assert.False(v.Enabled, $"version {v.Version} is still enabled"));
        Assert.False(vault.HasPendingOperation(RootName));
        Assert.False(vault.HasPendingOperation(IntermediateName));
        Assert.DoesNotContain(await store.ListAuthoritiesAsync(Domain), a => a.Id.EndsWith("20261201120000-c0ffee", StringComparison.Ordinal));
        // The domain's own CAs still sign.
        var inventory = new CaInventory(Domain, await store.ListAuthoritiesAsync(Domain));
        Assert.NotEmpty(await fixture.Custody().SignAsync(inventory.ActiveRoot.Key, new byte[] { 1, 2, 3 }));
    }

    [Fact]
    public async Task A_home_made_through_Key_Vault_keeps_root_keys_in_the_vault_and_exports_only_the_issuing_key()
    {
        await using var fixture = await KeyVaultFixture.StartAsync();
        var store = new SqliteStateStore(new SqliteStoreOptions { DatabasePath = _home.File("rotation.db") });
        var custody = fixture.Custody();
        var service = new CaService(store, custody, TimeProvider.System);

        var inventory = await service.InitAsync(Domain, KeyAlgorithm.EcdsaP256, TimeSpan.FromDays(3650), TimeSpan.FromDays(365));
        var files = await service.ExportIstioAsync(Domain, _home.File("istio"));
        var leaf = await service.IssueLeafAsync(Domain, $"spiffe://{Domain}/ns/a/sa/b", [], TimeSpan.FromHours(1), _home.File("leaf"));

        Assert.NotNull(inventory.ActiveRoot.Key.Version);
        Assert.Equal(inventory.ActiveRoot.Key, (await store.ListAuthoritiesAsync(Domain)).Single(a => a.Role == CaRole.Root).Key);
        await Assert.ThrowsAsync<PkiException>(() => custody.ExportAsync(inventory.ActiveRoot.Key));
        Assert.True(PublicKey.Of(PrivateKey.FromPem(await File.ReadAllTextAsync(files.CaKey))).Matches(inventory.ActiveIntermediate.Certificate));
        Assert.True(Certificate.FromPem(await File.ReadAllTextAsync(leaf.Cert)).IsSignedBy(inventory.ActiveIntermediate.Certificate));
        Assert.DoesNotContain(fixture.Vault.Exchanges, e => e.Path.Contains(KeyVaultNames.For(Domain + "-root-init"), StringComparison.Ordinal) && e.ResponseBody.Contains("PRIVATE KEY", StringComparison.Ordinal));
    }

    /// <summary>A home initialized through Key Vault with a root rotation started (Prepare not run yet).</summary>
    private async Task<SqliteStateStore> StartRootRotationAsync(KeyVaultFixture fixture)
    {
        var store = new SqliteStateStore(new SqliteStoreOptions { DatabasePath = _home.File("rotation.db") });
        await new CaService(store, fixture.Custody(), TimeProvider.System)
            .InitAsync(Domain, KeyAlgorithm.EcdsaP256, TimeSpan.FromDays(3650), TimeSpan.FromDays(365));
        await TargetlessRotation.StartRootAsync(store, Domain, RotationId, new RotationPolicy(), DateTimeOffset.UtcNow);
        return store;
    }

    /// <summary>Runs Prepare until <paramref name="fault"/> kills it (no retries: the process is gone).</summary>
    private static async Task CrashPrepareAsync(KeyVaultFixture fixture, SqliteStateStore store, KeyVaultFault fault)
    {
        fixture.Vault.Faults.Enqueue(fault);
        var crashed = new RotationStepRunner(store, fixture.Custody(maxRetries: 0), new TargetlessRotation.NoTargets(), TimeProvider.System);
        await Assert.ThrowsAnyAsync<Exception>(() => crashed.RunAsync(RotationId, RotationPhase.Prepare));
    }
}
