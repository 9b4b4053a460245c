using System.Buffers.Text;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Rotation.Infra.KeyVault;

/// <summary>
/// POST {vault}/keys/{name}/{version}/sign — the one Key Vault operation Rotation needs from the keys API.
/// Why not CryptographyClient: Azure.Security.KeyVault.Keys is not among the packages this project may use, and one
/// REST call does not justify hand-writing a client library. So this class sends it through an Azure.Core
/// <see cref="HttpPipeline"/> built like the SDK clients' (same transport, retry policy, diagnostics via
/// <see cref="KeyVaultCustodyOptions.ConfigureClient"/>; same <see cref="TokenCredential"/>), with Key Vault's
/// challenge-based auth (<see cref="KeyVaultChallengePolicy"/>). Request and response after the REST reference
/// (learn.microsoft.com/rest/api/keyvault/keys/sign/sign, api-version 7.5): {"alg","value": base64url digest} →
/// {"kid","value": base64url signature}; ECDSA signatures come back as r‖s (IEEE P1363).
/// </summary>
internal sealed class KeyVaultSignClient
{
    public const string ApiVersion = "7.5";

    private readonly HttpPipeline _pipeline;
    private readonly Uri _vault;

    public KeyVaultSignClient(Uri vault, TokenCredential credential, Action<ClientOptions>? configure)
    {
        _vault = vault;
        var options = new SignClientOptions();
        configure?.Invoke(options);
        _pipeline = HttpPipelineBuilder.Build(options, new KeyVaultChallengePolicy(credential));
    }

    public async Task<byte[]> SignAsync(string name, string version, string algorithm, byte[] digest, CancellationToken cancellationToken)
    {
        using var message = _pipeline.CreateMessage();
        var request = message.Request;
        request.Method = RequestMethod.Post;
        request.Uri.Reset(_vault);
        request.Uri.AppendPath("/keys/", false);
        request.Uri.AppendPath(name, true);
        request.Uri.AppendPath("/", false);
        request.Uri.AppendPath(version, true);
        request.Uri.AppendPath("/sign", false);
        request.Uri.AppendQuery("api-version", ApiVersion);
        request.Headers.Add("Content-Type", "application/json");
        request.Headers.Add("Accept", "application/json");
        request.Content = RequestContent.Create(JsonSerializer.SerializeToUtf8Bytes(new { alg = algorithm, value = Base64Url.EncodeToString(digest) }));
        await _pipeline.SendAsync(message, cancellationToken);
        var response = message.Response;
        if (response.Status != 200)
        {
            throw new RequestFailedException(response);
        }

        using var json = await JsonDocument.ParseAsync(response.ContentStream!, cancellationToken: cancellationToken);
        var value = json.RootElement.GetProperty("value").GetString()
            ?? throw new RequestFailedException($"keys/sign on {name}/{version} answered without a signature");
        return Base64Url.DecodeFromChars(value);
    }

    private sealed class SignClientOptions : ClientOptions;
}
