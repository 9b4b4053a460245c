using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Models;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Writing;

namespace Rotation.Infra.Kubernetes.Targets.Istio;

/// <summary>
/// What meshed pods' Envoys trust and present, read as `istioctl proxy-config secret` does: Envoy's admin
/// /config_dump on port 15000 (istioctl reaches it with a port-forward, pkg/kube/client.go portForwardRequest at
/// 86c9f01). Rotation reads it through the API server's pods/proxy subresource
/// (GET /api/v1/namespaces/NS/pods/NAME:15000/proxy/config_dump), so a cluster whose proxies do not answer there
/// (Envoy's admin listens on localhost in stock Istio) yields "unreadable" and the gate falls back to the time rule.
///
/// API economy and sampling: one paginated LIST of meshed pods (label security.istio.io/tlsMode=istio, Running),
/// then at most <see cref="IstioTargetOptions.ProxySample"/> config_dump GETs, four at a time. When there are more
/// pods than that, the sample is one pod per namespace (namespaces in SHA-256 order of their name) and then further
/// pods in SHA-256 order of their uid; both orders are stable across reports, so a pod seen lagging stays sampled.
/// </summary>
internal sealed class IstioProxyEvidence
{
    public const int AdminPort = 15000;
    private const int MaxInFlight = 4;

    private readonly ClusterConnection _connection;
    private readonly string _target;

    public IstioProxyEvidence(ClusterConnection connection, string target)
    {
        _connection = connection;
        _target = target;
    }

    public sealed record ProxyRead(V1Pod Pod, EnvoySecretsDump? Dump, string? Error)
    {
        public string Location => $"pod {Pod.Namespace()}/{Pod.Name()} envoy {EnvoySecretsDump.RootCaSecret}";
    }

    public Task<IReadOnlyList<V1Pod>> ListMeshedPodsAsync(CancellationToken cancellationToken) =>
        ApiGuard.RunAsync(_target, _connection.ClusterName, "listing meshed pods", async () =>
        {
            var pods = await Paged.ListAllAsync(async token =>
            {
                var page = await _connection.Client.CoreV1.ListPodForAllNamespacesAsync(
                    labelSelector: IstioProxySettings.MeshedPodSelector, limit: _connection.Options.PageSize, continueParameter: token, cancellationToken: cancellationToken);
                return ((IEnumerable<V1Pod>)page.Items, page.Metadata?.ContinueProperty);
            });
            return (IReadOnlyList<V1Pod>)pods.Where(p => p.Status?.Phase is null or "Running").ToList();
        }, cancellationToken);

    public static IReadOnlyList<V1Pod> Sample(IReadOnlyList<V1Pod> pods, int limit)
    {
        if (pods.Count <= limit)
            return pods.OrderBy(p => p.Namespace(), StringComparer.Ordinal).ThenBy(p => p.Name(), StringComparer.Ordinal).ToList();
        var firstPerNamespace = pods
            .GroupBy(p => p.Namespace() ?? "")
            .OrderBy(g => Hash(g.Key), StringComparer.Ordinal)
            .Select(g => g.OrderBy(p => p.Name(), StringComparer.Ordinal).First())
            .Take(limit)
            .ToList();
        var chosen = firstPerNamespace.Select(p => p.Uid() ?? p.Name()).ToHashSet(StringComparer.Ordinal);
        var rest = pods.Where(p => !chosen.Contains(p.Uid() ?? p.Name())).OrderBy(p => Hash(p.Uid() ?? p.Name()), StringComparer.Ordinal);
        return firstPerNamespace.Concat(rest).Take(limit).ToList();
    }

    public async Task<IReadOnlyList<ProxyRead>> ReadAsync(IReadOnlyList<V1Pod> pods, CancellationToken cancellationToken)
    {
        var results = await BoundedFanOut.RunAsync(pods, MaxInFlight, (pod, token) => ReadOneAsync(pod, token), cancellationToken);
        return results.Select(r => r.Result ?? new ProxyRead(r.Item, null, r.Error?.Message ?? "no answer")).ToList();
    }

    private async Task<ProxyRead> ReadOneAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _connection.Client.CoreV1.ConnectGetNamespacedPodProxyWithPathWithHttpMessagesAsync(
                $"{pod.Name()}:{AdminPort}", pod.Namespace(), "config_dump", cancellationToken: cancellationToken);
            await using var body = response.Body;
            using var reader = new StreamReader(body, Encoding.UTF8);
            var json = await reader.ReadToEndAsync(cancellationToken);
            var dump = EnvoySecretsDump.Parse(json);
            return dump.TrustedCaPem is null
                ? new ProxyRead(pod, null, "config_dump has no ROOTCA validation context yet")
                : new ProxyRead(pod, dump, null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // Any failure to read one proxy is that proxy's evidence being unreadable, never the gate's crash.
        catch (Exception e)
#pragma warning restore CA1031
        {
            var status = e is k8s.Autorest.HttpOperationException http ? $"{(int)http.Response.StatusCode} " : "";
            return new ProxyRead(pod, null, $"{status}{e.GetType().Name}: {FirstLine(e.Message)}");
        }
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    private static string Hash(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
