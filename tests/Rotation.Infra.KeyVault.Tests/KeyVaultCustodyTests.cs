using System.Text.Json.Nodes;
using Azure.Security.KeyVault.Secrets;
using Rotation.Core.Authorities;
using Rotation.Core.Domain;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Infra.KeyVault.Simulator;

namespace Rotation.Infra.KeyVault.Tests;

/// <summary>What is particular to Key Vault: the root pattern, tags, the challenge, faults, and that no root key ever leaves.</summary>
public sealed class KeyVaultCustodyTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private KeyVaultFixture _fixture = null!;

    public async Task InitializeAsync() => _fixture = await KeyVaultFixture.StartAsync(premium: true);

    public async Task DisposeAsync() => await _fixture.DisposeAsync();

    private SimulatedKeyVault Vault => _fixture.Vault;

    internal static CustodyKeyRequest Root(string name = "mesh-root", string op = "init", KeyAlgorithm algorithm = KeyAlgorithm.EcdsaP256) =>
        new(name, algorithm, false, op, "mesh.example.internal", CaRole.Root);

    internal static CustodyKeyRequest Intermediate(string name = "mesh-int", string op = "init") =>
        new(name, KeyAlgorithm.EcdsaP256, true, op, "mesh.example.internal", CaRole.Intermediate);

    internal static RootCaRequest RootCa => new("CN=Mesh Root,O=mesh.example.internal", Now.AddMinutes(-5), Now.AddYears(10), 1);

    internal static IntermediateCaRequest IntermediateCa => new("CN=Mesh Intermediate,O=mesh.example.internal", Now.AddMinutes(-5), Now.AddYears(1));

    [Fact]
    public async Task The_root_is_signed_by_the_temporary_versions_key_merged_and_the_temporary_version_disabled()
    {
        var custody = _fixture.Custody();

        var root = await CustodyAuthorities.CreateRootAsync(custody, Root(), RootCa, default);

        var versions = Vault.Versions("mesh-root");
        Assert.Equal(2, versions.Count);
        var (temporary, active) = (versions[0], versions[1]);
        Assert.False(temporary.Enabled);
        Assert.Equal("temporary", temporary.Tags["rotation-status"]);
        Assert.True(active.Enabled);
        Assert.Equal(root.Reference.Version, active.Version);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["rotation-status"] = "active",
                ["rotation-operation"] = "init",
                ["rotation-trust-domain"] = "mesh.example.internal",
                ["rotation-role"] = "Root",
                ["rotation-exportable"] = "false",
                ["rotation-key-name"] = "mesh-root",
            },
            active.Tags);
        // One signature, by the temporary version's key, and the merged version holds that same key (reuse_key).
        Assert.Equal(1, Vault.Signatures[$"mesh-root/{temporary.Version}"]);
        Assert.Single(Vault.Signatures);
        Assert.True(PublicKey.Of(Certificate.FromDer(temporary.Der)).Matches(root.Certificate!));
        Assert.False(Vault.HasPendingOperation("mesh-root"));
        // CA:TRUE comes from Rotation's certificate, never from a policy basic_constraints.
        Assert.True(root.Certificate!.IsCa);
        Assert.All(Vault.Exchanges.Where(e => e.Path.EndsWith("/create", StringComparison.Ordinal)), e => Assert.DoesNotContain("basic_constraints", e.RequestBody, StringComparison.Ordinal));
        var creates = Vault.Exchanges.Where(e => e.Path.EndsWith("/create", StringComparison.Ordinal) && e.Status == 202).Select(e => JsonNode.Parse(e.RequestBody)!).ToList();
        Assert.Equal(["Self", "Unknown"], creates.Select(c => c["policy"]!["issuer"]!["name"]!.GetValue<string>()));
        Assert.All(creates, c => Assert.False(c["policy"]!["key_props"]!["exportable"]!.GetValue<bool>()));
        Assert.True(creates[1]["policy"]!["key_props"]!["reuse_key"]!.GetValue<bool>());
    }

    [Fact]
    public async Task No_response_ever_contains_a_root_private_key()
    {
        var custody = _fixture.Custody();
        var root = await CustodyAuthorities.CreateRootAsync(custody, Root(), RootCa, default);
        var intermediate = await CustodyAuthorities.CreateIntermediateAsync(custody, Intermediate(), IntermediateCa, root, default);
        var exported = await custody.ExportAsync(intermediate.Reference);
        // Ask for the root's secret directly too, as any client with Secrets User could.
        var secrets = new SecretClient(Vault.VaultUri, _fixture.Credential, SecretOptions());
        var rootSecret = await secrets.GetSecretAsync("mesh-root", root.Reference.Version);

        Assert.DoesNotContain("PRIVATE KEY", rootSecret.Value.Value, StringComparison.Ordinal);
        var bodies = Vault.Exchanges.Select(e => e.ResponseBody).ToList();
        foreach (var (name, version, exportable, pkcs8) in Vault.KeyMaterial())
        {
            var base64 = Convert.ToBase64String(pkcs8);
            var leaked = bodies.Any(b => b.Contains(base64, StringComparison.Ordinal) || b.Replace("\\n", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal).Contains(base64, StringComparison.Ordinal));
            if (exportable)
            {
                // The check can fail: the exportable intermediate's key did come back, through its secret.
                Assert.True(leaked, $"expected {name}/{version}'s exportable key in its secret");
            }
            else
            {
                Assert.False(leaked, $"{name}/{version} is not exportable but its private key appeared in a response");
            }
        }

        Assert.True(exported.Matches(intermediate.Certificate!));
        Assert.Contains(Vault.KeyMaterial(), k => !k.Exportable);
    }

    [Fact]
    public async Task An_adopted_root_is_imported_non_exportable_signs_in_the_vault_and_its_key_never_comes_back()
    {
        var custody = _fixture.Custody();
        var adopted = Rotation.Testing.TestPki.Hierarchy(Now);

        var root = await custody.ImportKeyAsync(Root("adopted-root", "adopt"), adopted.Root.Key, [adopted.Root.Certificate]);
        var next = await CustodyAuthorities.CreateIntermediateAsync(custody, Intermediate("next-int", "rot-1"), IntermediateCa, root, default);

        // One import request: PEM content, a non-exportable key, Rotation's tags; then the new intermediate was
        // certified by keys/sign on the imported version's key, inside the vault.
        var import = Assert.Single(Vault.Exchanges, e => e.Path.EndsWith("/import", StringComparison.Ordinal));
        Assert.Equal(200, import.Status);
        var policy = JsonNode.Parse(import.RequestBody)!["policy"]!;
        Assert.False(policy["key_props"]!["exportable"]!.GetValue<bool>());
        Assert.Equal("application/x-pem-file", policy["secret_props"]!["contentType"]!.GetValue<string>());
        Assert.Equal("active", Vault.Versions("adopted-root").Single().Tags["rotation-status"]);
        Assert.Equal(1, Vault.Signatures[$"adopted-root/{root.Reference.Version}"]);
        Assert.True(next.Certificate!.IsSignedBy(adopted.Root.Certificate));
        await Assert.ThrowsAsync<PkiException>(() => custody.ExportAsync(root.Reference));

        // The key went in once; nothing the vault answered, the root's own secret included, carries it back.
        var secrets = new SecretClient(Vault.VaultUri, _fixture.Credential, SecretOptions());
        var rootSecret = await secrets.GetSecretAsync("adopted-root", root.Reference.Version);
        Assert.DoesNotContain("PRIVATE KEY", rootSecret.Value.Value, StringComparison.Ordinal);
        var rootPkcs8 = Convert.ToBase64String(adopted.Root.Key.ExportPkcs8Der());
        Assert.All(Vault.Exchanges, e => Assert.DoesNotContain(rootPkcs8, e.ResponseBody.Replace("\\n", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal), StringComparison.Ordinal));

        // A second adopt of the same certificate (a re-run) finds the first import and imports nothing.
        var again = await custody.ImportKeyAsync(Root("adopted-root", "adopt-again"), adopted.Root.Key, [adopted.Root.Certificate]);
        Assert.Equal(root.Reference, again.Reference);
        Assert.Single(Vault.Exchanges, e => e.Path.EndsWith("/import", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Adopting_into_an_hsm_key_or_as_an_exportable_root_is_refused_before_anything_is_sent()
    {
        var adopted = Rotation.Testing.TestPki.Hierarchy(Now);

        var hsm = await Assert.ThrowsAsync<PkiException>(() => _fixture.Custody(hsm: true).ImportKeyAsync(Root("hsm-root", "adopt"), adopted.Root.Key, [adopted.Root.Certificate]));
        Assert.Contains("BYOK", hsm.Message, StringComparison.Ordinal);
        var exportable = await Assert.ThrowsAsync<PkiException>(() => _fixture.Custody().ImportKeyAsync(
            new CustodyKeyRequest("loose-root", KeyAlgorithm.EcdsaP256, true, "adopt", "mesh.example.internal", CaRole.Root), adopted.Root.Key, [adopted.Root.Certificate]));
        Assert.Contains("never leaves", exportable.Message, StringComparison.Ordinal);
        var mismatched = await Assert.ThrowsAsync<PkiException>(() => _fixture.Custody().ImportKeyAsync(Root("odd-root", "adopt"), adopted.Intermediate.Key, [adopted.Root.Certificate]));
        Assert.Contains("not the private half", mismatched.Message, StringComparison.Ordinal);

        Assert.DoesNotContain(Vault.Exchanges, e => e.Path.EndsWith("/import", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_client_authenticates_through_the_bearer_challenge_with_one_credential()
    {
        var custody = _fixture.Custody();

        await CustodyAuthorities.CreateRootAsync(custody, Root(), RootCa, default);

        var exchanges = Vault.Exchanges;
        // The certificate client's first request and the keys/sign client's first request each meet the challenge.
        var first = exchanges[0];
        Assert.Equal(401, first.Status);
        Assert.False(first.Authorized);
        var firstSign = exchanges.First(e => e.Path.EndsWith("/sign", StringComparison.Ordinal));
        Assert.Equal(401, firstSign.Status);
        Assert.Equal(string.Empty, firstSign.RequestBody);
        Assert.Contains(exchanges, e => e.Path.EndsWith("/sign", StringComparison.Ordinal) && e.Status == 200);
        Assert.All(exchanges.Where(e => e.Status != 401), e => Assert.True(e.Authorized));
        Assert.NotEmpty(_fixture.Credential.Requests);
        Assert.All(_fixture.Credential.Requests, r =>
        {
            Assert.Equal([SimulatedKeyVault.Scope], r.Scopes);
            Assert.Equal(Vault.TenantId, r.TenantId);
        });
    }

    [Fact]
    public async Task Throttling_unavailability_and_slow_answers_are_ridden_out_by_the_retry_policy()
    {
        Vault.Faults.Enqueue(KeyVaultFault.Throttle("POST", "/create", retryAfterSeconds: 1));
        Vault.Faults.Enqueue(KeyVaultFault.Unavailable("POST", "/sign"));
        Vault.Faults.Enqueue(KeyVaultFault.Unavailable("POST", "/pending/merge"));
        Vault.Faults.Enqueue(KeyVaultFault.Slow(TimeSpan.FromMilliseconds(300), "GET", "/versions"));
        var custody = _fixture.Custody();

        var root = await CustodyAuthorities.CreateRootAsync(custody, Root(), RootCa, default);

        Assert.Equal(0, Vault.Faults.Pending);
        Assert.Contains(Vault.Exchanges, e => e.Status == 429);
        Assert.Equal(2, Vault.Exchanges.Count(e => e.Status == 503));
        Assert.Equal(2, Vault.Versions("mesh-root").Count);
        Assert.Single(Vault.Exchanges, e => e.Path.EndsWith("/pending/merge", StringComparison.Ordinal) && e.Status == 201);
        Assert.True(root.Certificate!.IsSelfSigned);
    }

    [Fact]
    public async Task A_409_on_the_pending_create_surfaces_and_a_rerun_finishes_without_an_orphan()
    {
        Vault.Faults.Enqueue(KeyVaultFault.Conflict());
        var custody = _fixture.Custody();

        await Assert.ThrowsAsync<Azure.RequestFailedException>(() => CustodyAuthorities.CreateRootAsync(custody, Root(), RootCa, default));
        var root = await CustodyAuthorities.CreateRootAsync(_fixture.Custody(), Root(), RootCa, default);

        Assert.Equal(2, Vault.Versions("mesh-root").Count);
        Assert.Single(Vault.Versions("mesh-root"), v => v.Enabled);
        Assert.Equal(CustodyKeyState.Active, root.State);
    }

    [Fact]
    public async Task Hsm_keys_are_created_as_ec_hsm_and_never_exportable()
    {
        var custody = _fixture.Custody(hsm: true);

        var root = await CustodyAuthorities.CreateRootAsync(custody, Root(), RootCa, default);

        Assert.Equal("EC-HSM", Vault.Versions("mesh-root")[^1].KeyProperties.Kty);
        Assert.True(root.Certificate!.IsSelfSigned);
        await Assert.ThrowsAsync<PkiException>(() => custody.CreateKeyAsync(Intermediate()));
    }

    [Fact]
    public async Task A_standard_vault_refuses_hsm_keys()
    {
        await using var standard = await KeyVaultFixture.StartAsync(premium: false);

        var error = await Assert.ThrowsAsync<Azure.RequestFailedException>(() => standard.Custody(hsm: true).CreateKeyAsync(Root()));

        Assert.Equal(400, error.Status);
    }

    [Fact]
    public async Task Retiring_disables_the_version_and_deletes_nothing()
    {
        var custody = _fixture.Custody();
        var root = await CustodyAuthorities.CreateRootAsync(custody, Root(), RootCa, default);
        var intermediate = await CustodyAuthorities.CreateIntermediateAsync(custody, Intermediate(), IntermediateCa, root, default);

        await custody.RetireAsync(intermediate.Reference);

        var version = Assert.Single(Vault.Versions("mesh-int"));
        Assert.False(version.Enabled);
        Assert.Equal("retired", version.Tags["rotation-status"]);
        Assert.Equal("mesh.example.internal", version.Tags["rotation-trust-domain"]);
        Assert.DoesNotContain(Vault.Exchanges, e => e.Method == "DELETE");
    }

    [Fact]
    public void Ecdsa_signatures_from_key_vault_are_turned_from_r_s_into_der()
    {
        var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var data = "to be signed"u8.ToArray();
        var p1363 = key.SignData(data, System.Security.Cryptography.HashAlgorithmName.SHA256);

        var der = SignatureAlgorithms.EcdsaP1363ToDer(KeyAlgorithm.EcdsaP256, p1363);

        Assert.Equal(0x30, der[0]);
        Assert.True(key.VerifyData(data, der, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.DSASignatureFormat.Rfc3279DerSequence));
        Assert.Throws<PkiException>(() => SignatureAlgorithms.EcdsaP1363ToDer(KeyAlgorithm.EcdsaP256, p1363.AsSpan(1).ToArray()));
    }

    private SecretClientOptions SecretOptions()
    {
        var options = new SecretClientOptions { Transport = new Azure.Core.Pipeline.HttpClientTransport(new HttpClient(Vault.CreateHandler())) };
        return options;
    }
}
