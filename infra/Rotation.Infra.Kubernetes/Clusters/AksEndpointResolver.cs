using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Azure.Core;
using k8s;

namespace Rotation.Infra.Kubernetes.Clusters;

/// <summary>
/// Finds an AKS cluster's API server URL and CA through ARM's listClusterUserCredential. For an Entra-enabled cluster
/// the kubeconfig it returns holds no secret (its user entry is a kubelogin exec stanza); Rotation takes only the
/// cluster entry from it and authenticates with its own Entra token, so nothing secret is stored or written.
/// </summary>
public sealed class AksEndpointResolver
{
    private readonly TokenCredential _credential;
    private readonly AksOptions _options;
    private readonly HttpMessageHandler? _handler;

    public AksEndpointResolver(TokenCredential credential, AksOptions options, HttpMessageHandler? handler = null)
    {
        _credential = credential;
        _options = options;
        _handler = handler;
    }

    public async Task<(Uri Server, X509Certificate2Collection CaCertificates)> ResolveAsync(string resourceId, CancellationToken cancellationToken)
    {
        var token = await _credential.GetTokenAsync(new TokenRequestContext([_options.ArmScope]), cancellationToken);
        using var http = _handler is null ? new HttpClient() : new HttpClient(_handler, disposeHandler: false);
        var uri = new Uri(_options.ArmEndpoint, $"{resourceId.TrimStart('/')}/listClusterUserCredential?api-version={_options.ApiVersion}&format=exec");
        using var request = new HttpRequestMessage(HttpMethod.Post, uri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
        using var response = await http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"ARM listClusterUserCredential for '{resourceId}' returned {(int)response.StatusCode}", null, response.StatusCode);

        using var json = JsonDocument.Parse(body);
        var encoded = json.RootElement.GetProperty("kubeconfigs")[0].GetProperty("value").GetString()
            ?? throw new InvalidDataException("ARM returned an empty kubeconfig");
        using var stream = new MemoryStream(Convert.FromBase64String(encoded));
        var kubeconfig = await KubernetesClientConfiguration.LoadKubeConfigAsync(stream);
        var cluster = kubeconfig.Clusters?.FirstOrDefault()?.ClusterEndpoint
            ?? throw new InvalidDataException("ARM's kubeconfig has no cluster entry");
        var cas = new X509Certificate2Collection();
        if (!string.IsNullOrEmpty(cluster.CertificateAuthorityData))
            cas.ImportFromPem(Encoding.UTF8.GetString(Convert.FromBase64String(cluster.CertificateAuthorityData)));
        return (new Uri(cluster.Server), cas);
    }
}
