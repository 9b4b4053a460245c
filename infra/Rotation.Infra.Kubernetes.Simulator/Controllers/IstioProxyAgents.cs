using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Rotation.Core.Pki;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Controllers;

/// <summary>
/// What each meshed pod's istio-agent hands its Envoy as ROOTCA, following istio/istio 86c9f01
/// security/pkg/nodeagent/cache/secretcache.go:
/// <list type="bullet">
/// <item>ROOTCA is mergeConfigTrustBundle: the sorted, de-duplicated union of the PCDS trust bundle and the roots that
/// came with the last certificate answer (the last element of the CSR response, istiod's loaded root-cert.pem).</item>
/// <item>Without PCDS a new root arrives only with the next certificate refresh ("If periodic cert refresh resulted in
/// discovery of a new root, trigger a ROOTCA request"), which the agent schedules at SECRET_GRACE_PERIOD_RATIO (0.5,
/// pilot/cmd/pilot-agent/options/options.go; its 1% jitter is left out) of the workload certificate lifetime.</item>
/// <item>With PCDS (PROXY_CONFIG_XDS_AGENT in the istio-proxy env, else the mesh config's defaultConfig.proxyMetadata;
/// and ISTIO_MULTIROOT_MESH on istiod, pilot/pkg/xds/pcds.go) istiod pushes its roots when they change and
/// UpdateConfigTrustBundle re-requests the workload certificate at once.</item>
/// </list>
/// Each proxy is connected to one istiod replica (chosen by its uid), and takes roots from that replica only.
/// </summary>
internal sealed class IstioProxyAgents
{
    private readonly Dictionary<string, Agent> _agents = new(StringComparer.Ordinal);

    private sealed class Agent
    {
        public required string Namespace { get; init; }
        public required string Name { get; init; }
        public string? PcdsBundle { get; set; }
        public string CertificateRoots { get; set; } = "";
        public DateTimeOffset IssuedAt { get; set; }
        public int Version { get; set; }
        public string RootCa { get; set; } = "";
    }

    /// <summary>Brings every meshed Running pod's agent up to date; returns when the next certificate refresh is due.</summary>
    public TimeSpan? Sync(KubeObjectStore store, IReadOnlyList<string?> replicaRoots, bool multiRoot, bool meshPcds, TimeSpan certTtl, DateTimeOffset now)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var refreshAfter = certTtl / 2;
        DateTimeOffset? nextDue = null;
        foreach (var pod in store.List(ResourceKinds.Pods, filter: p => KubeObjects.Labels(p).GetValueOrDefault(IstioNames.TlsModeLabel) == "istio").Items)
        {
            if (KubeObjects.StringAt(pod, "status", "phase") is { } phase && phase != "Running")
                continue;
            var uid = KubeObjects.StringAt(pod, "metadata", "uid") ?? $"{KubeObjects.Namespace(pod)}/{KubeObjects.Name(pod)}";
            seen.Add(uid);
            var held = replicaRoots.Count == 0 ? null : replicaRoots[ReplicaOf(uid, replicaRoots.Count)];
            if (held is null)
                continue;
            var pcds = multiRoot && (PodPcds(pod) ?? meshPcds);
            if (!_agents.TryGetValue(uid, out var agent))
            {
                agent = new Agent { Namespace = KubeObjects.Namespace(pod)!, Name = KubeObjects.Name(pod)! };
                _agents[uid] = agent;
                Issue(agent, held, now);
            }

            if (pcds && agent.PcdsBundle != held)
            {
                agent.PcdsBundle = held;
                Issue(agent, held, now);   // UpdateConfigTrustBundle: SetWorkload(nil), a new certificate request
            }
            else if (now >= agent.IssuedAt + refreshAfter)
            {
                Issue(agent, held, now);
            }

            Merge(agent);
            var due = agent.IssuedAt + refreshAfter;
            if (nextDue is null || due < nextDue)
                nextDue = due;
        }

        foreach (var gone in _agents.Keys.Where(k => !seen.Contains(k)).ToList())
            _agents.Remove(gone);
        return nextDue is { } next ? next - now : null;
    }

    /// <summary>The config_dump of the pod's Envoy, or null when the pod runs no agent the simulator knows.</summary>
    public string? ConfigDump(string @namespace, string pod)
    {
        var agent = _agents.Values.FirstOrDefault(a => a.Namespace == @namespace && a.Name == pod);
        return agent is null ? null : EnvoyAdminDump.Secrets(agent.RootCa, agent.Version.ToString(CultureInfo.InvariantCulture), agent.IssuedAt);
    }

    /// <summary>The ROOTCA each proxy's Envoy holds now, by "namespace/pod".</summary>
    public IReadOnlyDictionary<string, string> RootCas() =>
        _agents.Values.ToDictionary(a => $"{a.Namespace}/{a.Name}", a => a.RootCa, StringComparer.Ordinal);

    public static int ReplicaOf(string uid, int replicas) =>
        (int)(BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(uid)), 0) % (uint)replicas);

    private static void Issue(Agent agent, string held, DateTimeOffset now)
    {
        agent.CertificateRoots = held;
        agent.IssuedAt = now;
    }

    private static void Merge(Agent agent)
    {
        var merged = Blocks(agent.PcdsBundle).Concat(Blocks(agent.CertificateRoots)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var text = string.Concat(merged);
        if (text != agent.RootCa)
        {
            agent.RootCa = text;
            agent.Version++;
        }
    }

    private static IEnumerable<string> Blocks(string? pem)
    {
        if (string.IsNullOrWhiteSpace(pem))
            return [];
        try
        {
            return Pem.ReadCertificates(pem).Select(c => c.ToPem());
        }
        catch (PkiException)
        {
            return [];
        }
    }

    /// <summary>PROXY_CONFIG_XDS_AGENT in the pod's istio-proxy env (where the injector renders proxyMetadata), as a Go boolean.</summary>
    private static bool? PodPcds(JsonObject pod)
    {
        var containers = pod["spec"]?["containers"] as JsonArray;
        var env = containers?.OfType<JsonObject>().Where(c => KubeObjects.StringAt(c, "name") == IstioNames.ProxyContainer)
            .SelectMany(c => (c["env"] as JsonArray)?.OfType<JsonObject>() ?? [])
            .LastOrDefault(e => KubeObjects.StringAt(e, "name") == IstioNames.PcdsEnv);
        return env is null ? null : GoBool(KubeObjects.StringAt(env, "value")) ?? false;   // not a Go boolean: the default, false
    }

    internal static bool? GoBool(string? value) => value switch
    {
        "1" or "t" or "T" or "TRUE" or "true" or "True" => true,
        "0" or "f" or "F" or "FALSE" or "false" or "False" => false,
        _ => null,
    };
}
