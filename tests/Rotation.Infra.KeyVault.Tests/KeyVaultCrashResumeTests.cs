using Rotation.Core.Authorities;
using Rotation.Core.Ports;
using Rotation.Infra.KeyVault.Simulator;

namespace Rotation.Infra.KeyVault.Tests;

/// <summary>
/// A crash in the middle of each Key Vault call of root and intermediate creation: the connection drops during the
/// call (before or after the vault carried it out), the custody that made it is thrown away, and a fresh one re-runs.
/// The re-run must leave what an uninterrupted run leaves: no orphaned pending create, no enabled temporary version,
/// one merged certificate, and no signature beyond the one whose answer was lost.
/// </summary>
public sealed class KeyVaultCrashResumeTests
{
    public static TheoryData<string, string, string?, bool> RootCalls => new()
    {
        { "POST", "/create", "\"Self\"", false },
        { "POST", "/create", "\"Self\"", true },
        { "GET", "/pending", null, true },
        { "POST", "/create", "\"Unknown\"", false },
        { "POST", "/create", "\"Unknown\"", true },
        { "POST", "/sign", null, false },
        { "POST", "/sign", null, true },
        { "POST", "/pending/merge", null, false },
        { "POST", "/pending/merge", null, true },
        { "PATCH", "/certificates/", null, false },
        { "PATCH", "/certificates/", null, true },
    };

    [Theory]
    [MemberData(nameof(RootCalls))]
    public async Task A_crash_during_any_call_of_root_creation_resumes_cleanly(string method, string path, string? body, bool afterServing)
    {
        await using var fixture = await KeyVaultFixture.StartAsync();
        var vault = fixture.Vault;
        vault.Faults.Enqueue(KeyVaultFault.Crash(method, path, body, afterServing));

        await Assert.ThrowsAnyAsync<Exception>(() => CustodyAuthorities.CreateRootAsync(fixture.Custody(maxRetries: 0), KeyVaultCustodyTests.Root(), KeyVaultCustodyTests.RootCa, default));
        Assert.Equal(0, vault.Faults.Pending);
        var root = await CustodyAuthorities.CreateRootAsync(fixture.Custody(), KeyVaultCustodyTests.Root(), KeyVaultCustodyTests.RootCa, default);

        var versions = vault.Versions("mesh-root");
        Assert.False(vault.HasPendingOperation("mesh-root"));
        Assert.Equal(2, versions.Count);
        Assert.Equal("temporary", versions[0].Tags["rotation-status"]);
        Assert.False(versions[0].Enabled);
        Assert.True(versions[1].Enabled);
        Assert.Equal(root.Reference.Version, versions[1].Version);
        Assert.True(root.Certificate!.IsSelfSigned);
        Assert.Single(vault.Exchanges, e => e.Path.EndsWith("/pending/merge", StringComparison.Ordinal) && e.Status == 201);
        // A signature made but not yet merged when the crash came is made again (it never reached any certificate).
        var expectedSignatures = SignatureLost(path, afterServing) ? 2 : 1;
        Assert.Equal(expectedSignatures, vault.Signatures.Values.Sum());
    }

    /// <summary>The signed certificate lived only in the crashed process: its answer was lost, or the merge never happened.</summary>
    private static bool SignatureLost(string path, bool afterServing) =>
        (path == "/sign" && afterServing) || (path == "/pending/merge" && !afterServing);

    public static TheoryData<string, string, bool> IntermediateCalls => new()
    {
        { "POST", "/create", false },
        { "POST", "/create", true },
        { "POST", "/sign", false },
        { "POST", "/sign", true },
        { "POST", "/pending/merge", false },
        { "POST", "/pending/merge", true },
    };

    [Theory]
    [MemberData(nameof(IntermediateCalls))]
    public async Task A_crash_during_any_call_of_intermediate_creation_resumes_cleanly(string method, string path, bool afterServing)
    {
        await using var fixture = await KeyVaultFixture.StartAsync();
        var vault = fixture.Vault;
        var root = await CustodyAuthorities.CreateRootAsync(fixture.Custody(), KeyVaultCustodyTests.Root(), KeyVaultCustodyTests.RootCa, default);
        var rootSignatures = vault.Signatures.Values.Sum();
        vault.Faults.Enqueue(KeyVaultFault.Crash(method, path, null, afterServing));

        await Assert.ThrowsAnyAsync<Exception>(() => CustodyAuthorities.CreateIntermediateAsync(fixture.Custody(maxRetries: 0), KeyVaultCustodyTests.Intermediate(), KeyVaultCustodyTests.IntermediateCa, root, default));
        Assert.Equal(0, vault.Faults.Pending);
        var intermediate = await CustodyAuthorities.CreateIntermediateAsync(fixture.Custody(), KeyVaultCustodyTests.Intermediate(), KeyVaultCustodyTests.IntermediateCa, root, default);

        var version = Assert.Single(vault.Versions("mesh-int"));
        Assert.False(vault.HasPendingOperation("mesh-int"));
        Assert.True(version.Enabled);
        Assert.Equal(CustodyKeyState.Active, intermediate.State);
        Assert.True(intermediate.Certificate!.IsSignedBy(root.Certificate!));
        var expected = SignatureLost(path, afterServing) ? 2 : 1;
        Assert.Equal(expected, vault.Signatures[$"mesh-root/{root.Reference.Version}"]);
        Assert.Equal(rootSignatures + expected, vault.Signatures.Values.Sum());
    }
}
