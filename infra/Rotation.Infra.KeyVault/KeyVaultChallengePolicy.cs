using System.Text.RegularExpressions;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Rotation.Infra.KeyVault;

/// <summary>
/// Key Vault's challenge-based bearer authentication, for the one pipeline this project builds itself (keys/sign).
/// The certificate and secret clients carry their own (internal) ChallengeBasedAuthenticationPolicy; this follows it
/// (Azure/azure-sdk-for-net sdk/keyvault/Azure.Security.KeyVault.Shared/src/ChallengeBasedAuthenticationPolicy.cs):
/// the first request goes without its body and without a token; the 401's WWW-Authenticate names the authority
/// (tenant) and the resource, whose "/.default" scope the token is requested for; the resource must be a parent domain
/// of the vault's host (so a spoofed vault cannot obtain a token for another resource); the challenge is then reused.
/// </summary>
internal sealed partial class KeyVaultChallengePolicy(TokenCredential credential) : BearerTokenAuthenticationPolicy(credential, Array.Empty<string>())
{
    private const string StashedContent = "RotationKeyVaultContent";
    private readonly Lock _gate = new();
    private (string Scope, string? Tenant)? _challenge;

    protected override ValueTask AuthorizeRequestAsync(HttpMessage message) => AuthorizeAsync(message);

    protected override void AuthorizeRequest(HttpMessage message) => AuthorizeAsync(message).AsTask().GetAwaiter().GetResult();

    protected override ValueTask<bool> AuthorizeRequestOnChallengeAsync(HttpMessage message) => OnChallengeAsync(message);

    protected override bool AuthorizeRequestOnChallenge(HttpMessage message) => OnChallengeAsync(message).AsTask().GetAwaiter().GetResult();

    private async ValueTask AuthorizeAsync(HttpMessage message)
    {
        if (message.Request.Uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new InvalidOperationException("Key Vault bearer tokens are only sent over https: use the vault's https URI");
        }

        (string Scope, string? Tenant)? challenge;
        lock (_gate)
        {
            challenge = _challenge;
        }

        if (challenge is { } known)
        {
            await AuthenticateAndAuthorizeRequestAsync(message, new TokenRequestContext([known.Scope], tenantId: known.Tenant));
            return;
        }

        // Unknown challenge: send without the body, as the SDK does, so nothing unprotected reaches a vault that wants more.
        if (!message.TryGetProperty(StashedContent, out _))
        {
            message.SetProperty(StashedContent, (object?)message.Request.Content ?? DBNull.Value);
            message.Request.Content = null;
        }
    }

    private async ValueTask<bool> OnChallengeAsync(HttpMessage message)
    {
        if (message.Request.Content is null && message.TryGetProperty(StashedContent, out var content))
        {
            message.Request.Content = content as RequestContent;
        }

        var header = message.Response.Headers.TryGetValue("WWW-Authenticate", out var value) ? value : null;
        var resource = header is null ? null : Parameter(header, "resource");
        var scope = resource is not null ? resource.TrimEnd('/') + "/.default" : header is null ? null : Parameter(header, "scope");
        if (scope is null)
        {
            return false;
        }

        if (!Uri.TryCreate(scope, UriKind.Absolute, out var scopeUri)
            || message.Request.Uri.Host is not { } host
            || !host.EndsWith("." + scopeUri.Host, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"the Key Vault challenge names resource '{scope}', which is not a parent domain of {message.Request.Uri.Host}: check the vault URI");
        }

        var authority = Parameter(header!, "authorization") ?? Parameter(header!, "authorization_uri");
        string? tenant = Uri.TryCreate(authority, UriKind.Absolute, out var authorityUri) && authorityUri.Segments.Length > 1
            ? authorityUri.Segments[1].Trim('/')
            : null;
        lock (_gate)
        {
            _challenge = (scope, tenant);
        }

        await AuthenticateAndAuthorizeRequestAsync(message, new TokenRequestContext([scope], tenantId: tenant));
        return true;
    }

    private static string? Parameter(string header, string name)
    {
        foreach (Match match in ChallengeParameter().Matches(header))
        {
            if (string.Equals(match.Groups["name"].Value, name, StringComparison.OrdinalIgnoreCase))
            {
                return match.Groups["value"].Value;
            }
        }

        return null;
    }

    [GeneratedRegex("(?<name>[A-Za-z_]+)=\"(?<value>[^\"]*)\"", RegexOptions.CultureInvariant)]
    private static partial Regex ChallengeParameter();
}
