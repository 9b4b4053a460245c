using System.Net.Http.Headers;
using Azure.Core;
using k8s.Authentication;

namespace Rotation.Infra.Kubernetes.Clusters;

/// <summary>Bearer tokens for an Entra-enabled AKS API server; Azure.Identity caches and refreshes them.</summary>
internal sealed class EntraTokenProvider : ITokenProvider
{
    private readonly TokenCredential _credential;
    private readonly string _scope;

    public EntraTokenProvider(TokenCredential credential, string scope)
    {
        _credential = credential;
        _scope = scope;
    }

    public async Task<AuthenticationHeaderValue> GetAuthenticationHeaderAsync(CancellationToken cancellationToken)
    {
        var token = await _credential.GetTokenAsync(new TokenRequestContext([_scope]), cancellationToken);
        return new AuthenticationHeaderValue("Bearer", token.Token);
    }
}
