using System.Text.Json.Nodes;
using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Drill.Estate;
using Rotation.Drill.Workloads;
using Rotation.Infra.Kubernetes.Simulator;
using Rotation.Infra.Kubernetes.Simulator.Controllers;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Drill.Kubernetes.Targets;

/// <summary>
/// A meshed workload as its linkerd-proxy sees it (linkerd/linkerd2 b24cd405): the workload is the newest Running pod
/// of its Deployment; its anchors are that pod's LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS, which the injector copies
/// from linkerd-identity-trust-roots when the pod is created (charts/partials/templates/_proxy.tpl) and which never
/// changes while the pod runs; its leaf is signed by the issuer the identity controller has loaded
/// (pkg/identity/service.go Certify) when the proxy starts and again before it expires (at a random 50–80% of the
/// lifetime, the drill's renewal physics). A crash-looping identity signs nothing: the proxy keeps its leaf.
/// </summary>
public sealed class LinkerdProxyFeed : IWorkloadFeed
{
    private readonly SimulatedKubeCluster _kube;
    private readonly string _namespace;
    private readonly string _deployment;
    private readonly SimulatedClusterOptions _physics;
    private readonly TimeProvider _time;
    private readonly LeafMinter _minter;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private string? _podUid;
    private string? _anchorsText;
    private TrustBundle? _anchors;
    private WorkloadCredential? _credential;
    private DateTimeOffset _renewAt;

    public LinkerdProxyFeed(SimulatedKubeCluster kube, string @namespace, string deployment, SimulatedClusterOptions physics, TimeProvider time)
    {
        _kube = kube;
        _namespace = @namespace;
        _deployment = deployment;
        _physics = physics;
        _time = time;
        _minter = new LeafMinter(physics, time);
    }

    public WorkloadMaterial? Read(SimulatedWorkload workload)
    {
        // During a rollout old and new pods run side by side; the workload follows the pod it has not seen yet (the
        // rollout's new one), else keeps the one it runs as while that still runs.
        var running = _kube.Store.List(ResourceKinds.Pods, _namespace, p =>
                KubeObjects.Labels(p).GetValueOrDefault("app") == _deployment && KubeObjects.StringAt(p, "status", "phase") == "Running")
            .Items;
        var pod = running.LastOrDefault(p => !_seen.Contains(KubeObjects.StringAt(p, "metadata", "uid") ?? ""))
            ?? running.FirstOrDefault(p => KubeObjects.StringAt(p, "metadata", "uid") == _podUid)
            ?? (running.Count > 0 ? running[^1] : null);
        if (pod is null)
            return Current();

        var uid = KubeObjects.StringAt(pod, "metadata", "uid");
        var text = (pod["spec"]?["containers"] as JsonArray ?? [])
            .Where(c => KubeObjects.StringAt(c, "name") == LinkerdNames.ProxyContainer)
            .SelectMany(c => c?["env"] as JsonArray ?? [])
            .Where(e => KubeObjects.StringAt(e, "name") == LinkerdNames.TrustAnchorsEnv)
            .Select(e => KubeObjects.StringAt(e, "value"))
            .FirstOrDefault();
        if (string.IsNullOrWhiteSpace(text))
            return Current();   // the proxy refuses to start without anchors

        var now = _time.GetUtcNow();
        var started = uid != _podUid;
        if (started)
        {
            _podUid = uid;
            _seen.Add(uid ?? "");
            if (text != _anchorsText)
            {
                _anchors = TrustBundle.FromPem(text, $"pod {_namespace}/{KubeObjects.Name(pod)} {LinkerdNames.TrustAnchorsEnv}");
                _anchorsText = text;
            }
        }

        if ((started || now >= _renewAt) && _kube.Linkerd.LoadedIssuer is { } issuer)
        {
            _credential = _minter.Mint(workload, new IssuerMaterial(issuer.Ca, issuer.Chain, issuer.Roots));
            var fraction = _physics.ReissueAtMinFraction + (Random.Shared.NextDouble() * (_physics.ReissueAtMaxFraction - _physics.ReissueAtMinFraction));
            _renewAt = now + (_physics.LeafTtl * fraction);
        }

        return Current();
    }

    private WorkloadMaterial? Current() =>
        _anchors is { } anchors && _credential is { } credential ? new WorkloadMaterial(anchors, credential, _podUid) : null;
}
