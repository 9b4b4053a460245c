using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Models;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Http;
using Rotation.Infra.Kubernetes.Writing;

namespace Rotation.Infra.Kubernetes.Targets.Istio;

/// <summary>
/// What meshed pods' Envoys trust and present, read as `istioctl proxy-config secret` does: GET
/// config_dump?mask=dynamic_active_secrets,dynamic_warming_secrets on Envoy's admin port 15000 (istio/istio 86c9f01,
/// istioctl/pkg/proxyconfig/proxyconfig.go secretPath and extractConfigDump), through a port-forward
/// (<see cref="PodPortForward"/>): Envoy's admin listens on the pod's localhost only, so the pods/proxy subresource
/// cannot reach it. A pod whose port-forward is refused or forbidden, or whose admin does not answer, is "unreadable"
/// and the gate falls back to the time rule for it.
///
/// API economy and sampling: one paginated LIST of meshed pods (label security.istio.io/tlsMode=istio, Running),
/// then at most <see cref="IstioTargetOptions.ProxySample"/> port-forwards, four at a time. When there are more
/// pods than that, the sample is one pod per namespace (namespaces in SHA-256 order of their name) and then further
/// pods in SHA-256 order of their uid; both orders are stable across reports, so a pod seen lagging stays sampled.
/// </summary>
internal sealed class IstioProxyEvidence
{
    public const int AdminPort = 15000;
    public const string SecretsPath = "/config_dump?mask=dynamic_active_secrets,dynamic_warming_secrets";
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
            var answer = await PodPortForward.GetAsync(_connection.Client, pod.Namespace(), pod.Name(), AdminPort, SecretsPath, _connection.Options.Retry.AttemptTimeout, cancellationToken);
            if (answer.StatusCode != 200)
                return new ProxyRead(pod, null, $"envoy admin answered {answer.StatusCode} to config_dump");
            var json = answer.Body;
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
            return new ProxyRead(pod, null, e is PodPortForwardException ? FirstLine(e.Message) : $"{e.GetType().Name}: {FirstLine(e.Message)}");
        }
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    private static string Hash(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
