using Rotation.Core.Domain;

namespace Rotation.Infra.Kubernetes.Targets.Linkerd;

/// <summary>
/// Where Linkerd keeps its identity material, and which namespaces' meshed Deployments Rotation may restart so their
/// proxies load new trust anchors (opt-in: none by default; the control plane namespace is always restarted).
/// </summary>
public sealed record LinkerdTargetOptions(
    string Namespace,
    string TrustRootsConfigMap,
    string IssuerSecret,
    IReadOnlyList<string> RestartNamespaces,
    int RestartConcurrency,
    TimeSpan MountSyncWait)
{
    public static readonly IReadOnlyList<string> Keys = ["namespace", "trustRootsConfigMap", "issuerSecret", "restartNamespaces", "restartConcurrency", "mountSyncWait"];

    /// <param name="defaultMountSyncWait">KubernetesAdapterOptions.MountedConfigMapSyncWait (2 minutes) unless given.</param>
    public static LinkerdTargetOptions From(TargetSpec spec, int defaultRestartConcurrency = 2, TimeSpan? defaultMountSyncWait = null)
    {
        var options = new TargetOptionReader(spec);
        return new LinkerdTargetOptions(
            options.Get("namespace", "linkerd"),
            options.Get("trustRootsConfigMap", "linkerd-identity-trust-roots"),
            options.Get("issuerSecret", "linkerd-identity-issuer"),
            options.List("restartNamespaces"),
            options.PositiveInt("restartConcurrency", defaultRestartConcurrency),
            options.NonNegativeSeconds("mountSyncWait", defaultMountSyncWait ?? TimeSpan.FromMinutes(2)));
    }
}
