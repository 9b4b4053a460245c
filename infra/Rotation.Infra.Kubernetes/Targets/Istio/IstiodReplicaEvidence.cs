using System.Globalization;
using k8s;
using k8s.Models;
using Rotation.Core.Pki;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Http;

namespace Rotation.Infra.Kubernetes.Targets.Istio;

/// <summary>
/// Whether each istiod replica loaded the cacerts Rotation wrote, from what every replica shows on its monitoring
/// port 15014 (/metrics; istioctl reaches the same port by port-forward, pkg/kube/client.go AllDiscoveryDo at
/// 86c9f01). After every successful load istiod records two gauges (security/pkg/server/ca/server.go
/// RecordCertsExpiry, called from pilot/pkg/bootstrap/istio_ca.go handleEvent; names in
/// security/pkg/server/ca/monitoring.go): citadel_server_root_cert_expiry_timestamp, the NotAfter of the first
/// certificate of the root-cert.pem it loaded, and citadel_server_cert_chain_expiry_timestamp, the NotAfter of the
/// first certificate of its cert-chain.pem, in unix seconds.
///
/// What this proves and does not: a replica whose chain gauge differs from cacerts' cert-chain.pem has not loaded
/// the new issuer (still in the kubelet's mount delay, or it refused the files with one log line); one whose root
/// gauge differs has not loaded a root-cert.pem whose first root changed (a retirement). Equal gauges cannot show an
/// appended root (the first root stays) nor tell two certificates with the same NotAfter second apart; roots added
/// are proven by the proxies' ROOTCA, which each proxy takes from the replica it is connected to.
/// </summary>
internal sealed class IstiodReplicaEvidence
{
    public const int MonitoringPort = 15014;
    public const string RootGauge = "citadel_server_root_cert_expiry_timestamp";
    public const string ChainGauge = "citadel_server_cert_chain_expiry_timestamp";
    private const int MaxInFlight = 4;

    private readonly ClusterConnection _connection;

    public IstiodReplicaEvidence(ClusterConnection connection) => _connection = connection;

    /// <summary>One replica's verdict. <see cref="Loaded"/> is null when its metrics could not be read (<see cref="Detail"/> says why).</summary>
    public sealed record ReplicaRead(V1Pod Pod, bool? Loaded, string Detail)
    {
        public string Location => $"istiod pod {Pod.Namespace()}/{Pod.Name()} ({MonitoringPort} {ChainGauge}, {RootGauge})";
    }

    public async Task<IReadOnlyList<ReplicaRead>> ReadAsync(IReadOnlyList<V1Pod> replicas, string? rootCertPem, string? certChainPem, CancellationToken cancellationToken)
    {
        var expectedRoot = FirstNotAfter(rootCertPem);
        var expectedChain = FirstNotAfter(certChainPem);
        var running = replicas.Where(p => p.Status?.Phase is null or "Running").OrderBy(p => p.Name(), StringComparer.Ordinal).ToList();
        var results = await BoundedFanOut.RunAsync(running, MaxInFlight, (pod, token) => ReadOneAsync(pod, expectedRoot, expectedChain, token), cancellationToken);
        return results.Select(r => r.Result ?? new ReplicaRead(r.Item, null, r.Error?.Message ?? "no answer")).ToList();
    }

    private async Task<ReplicaRead> ReadOneAsync(V1Pod pod, long? expectedRoot, long? expectedChain, CancellationToken cancellationToken)
    {
        PodPortAnswer answer;
        try
        {
            answer = await PodPortForward.GetAsync(_connection.Client, pod.Namespace(), pod.Name(), MonitoringPort, "/metrics", _connection.Options.Retry.AttemptTimeout, cancellationToken);
        }
        catch (PodPortForwardException e)
        {
            return new ReplicaRead(pod, null, $"metrics unreadable: {e.Message}");
        }

        if (answer.StatusCode != 200)
            return new ReplicaRead(pod, null, $"metrics unreadable: {answer.StatusCode}");
        var root = Gauge(answer.Body, RootGauge);
        var chain = Gauge(answer.Body, ChainGauge);
        if (root is null || chain is null)
            return new ReplicaRead(pod, false, $"shows no {(root is null ? RootGauge : ChainGauge)}: it has loaded no plug-in CA");
        if (expectedChain is { } c && chain != c)
            return new ReplicaRead(pod, false, $"serves a cert chain expiring {Unix(chain.Value)}, cacerts cert-chain.pem expires {Unix(c)}: it has not loaded the new issuer (mount delay, or it refused cacerts: see its log)");
        if (expectedRoot is { } r && root != r)
            return new ReplicaRead(pod, false, $"holds a first root expiring {Unix(root.Value)}, cacerts root-cert.pem's first root expires {Unix(r)}: it has not loaded root-cert.pem");
        return new ReplicaRead(pod, true, "gauges match cacerts (they cannot show an appended root)");
    }

    /// <summary>The value of an unlabelled gauge in Prometheus text exposition, in whole unix seconds.</summary>
    internal static long? Gauge(string text, string name)
    {
        foreach (var line in text.Split('\n'))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2 || parts[0].StartsWith('#'))
                continue;
            var brace = parts[0].IndexOf('{', StringComparison.Ordinal);
            var metric = brace < 0 ? parts[0] : parts[0][..brace];
            if (metric == name && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
                return (long)Math.Round(seconds);
        }

        return null;
    }

    private static long? FirstNotAfter(string? pem)
    {
        if (string.IsNullOrWhiteSpace(pem))
            return null;
        try
        {
            return Pem.ReadCertificates(pem) is { Count: > 0 } certificates ? certificates[0].NotAfter.ToUnixTimeSeconds() : null;
        }
        catch (PkiException)
        {
            return null;
        }
    }

    private static string Unix(long seconds) => DateTimeOffset.FromUnixTimeSeconds(seconds).ToString("u", CultureInfo.InvariantCulture);
}
