using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Rotation.Core.Authorities;
using Rotation.Core.Pki;

namespace Rotation.Infra.KeyVault.Tests;

/// <summary>The simulator's wire behaviour checked with a plain HttpClient, where no SDK smooths anything over.</summary>
public sealed class KeyVaultSimulatorProtocolTests : IAsyncLifetime
{
    private KeyVaultFixture _fixture = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _fixture = await KeyVaultFixture.StartAsync();
        _http = new HttpClient(_fixture.Vault.CreateHandler()) { BaseAddress = _fixture.Vault.VaultUri };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _fixture.DisposeAsync();
    }

    [Fact]
    public async Task An_unauthenticated_request_gets_the_challenge_the_service_sends()
    {
        using var response = await _http.GetAsync("certificates/anything/pending?api-version=7.5");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Equal($"authorization=\"https://login.microsoftonline.com/{_fixture.Vault.TenantId}\", resource=\"https://vault.azure.net\"", challenge.Parameter);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("Unauthorized", error["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Key_get_returns_the_certificates_public_key_as_a_jwk_and_sign_verifies()
    {
        var root = await CustodyAuthorities.CreateRootAsync(_fixture.Custody(), KeyVaultCustodyTests.Root(), KeyVaultCustodyTests.RootCa, default);
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _fixture.Vault.AcceptedToken);

        var key = JsonNode.Parse(await _http.GetStringAsync($"keys/mesh-root/{root.Reference.Version}?api-version=7.5"))!["key"]!;
        var digest = System.Security.Cryptography.SHA256.HashData("blob"u8);
        using var signResponse = await _http.PostAsync(
            $"keys/mesh-root/{root.Reference.Version}/sign?api-version=7.5",
            new StringContent(new JsonObject { ["alg"] = "ES256", ["value"] = Base64Url.EncodeToString(digest) }.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        var signature = Base64Url.DecodeFromChars(JsonNode.Parse(await signResponse.Content.ReadAsStringAsync())!["value"]!.GetValue<string>());

        Assert.Equal("EC", key["kty"]!.GetValue<string>());
        Assert.Equal("P-256", key["crv"]!.GetValue<string>());
        Assert.Contains("sign", key["key_ops"]!.AsArray().Select(o => o!.GetValue<string>()));
        using var jwk = System.Security.Cryptography.ECDsa.Create(new System.Security.Cryptography.ECParameters
        {
            Curve = System.Security.Cryptography.ECCurve.NamedCurves.nistP256,
            Q = new System.Security.Cryptography.ECPoint { X = Base64Url.DecodeFromChars(key["x"]!.GetValue<string>()), Y = Base64Url.DecodeFromChars(key["y"]!.GetValue<string>()) },
        });
        Assert.True(PublicKey.FromSubjectPublicKeyInfo(jwk.ExportSubjectPublicKeyInfo()).Matches(root.Certificate!));
        Assert.Equal(64, signature.Length);
        Assert.True(jwk.VerifyHash(digest, signature));
    }

    [Fact]
    public async Task A_disabled_key_does_not_sign()
    {
        var root = await CustodyAuthorities.CreateRootAsync(_fixture.Custody(), KeyVaultCustodyTests.Root(), KeyVaultCustodyTests.RootCa, default);
        var temporary = _fixture.Vault.Versions("mesh-root")[0];
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _fixture.Vault.AcceptedToken);

        using var response = await _http.PostAsync(
            $"keys/mesh-root/{temporary.Version}/sign?api-version=7.5",
            new StringContent(new JsonObject { ["alg"] = "ES256", ["value"] = Base64Url.EncodeToString(new byte[32]) }.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.NotEqual(temporary.Version, root.Reference.Version);
    }
}
