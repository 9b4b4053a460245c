namespace Rotation.Infra.Kubernetes.Simulator.Store;

/// <summary>The resource types the simulator serves.</summary>
public static class ResourceKinds
{
    public static readonly ResourceKind Namespaces = new("", "v1", "namespaces", "Namespace", Namespaced: false, HasStatusSubresource: true);
    public static readonly ResourceKind Secrets = new("", "v1", "secrets", "Secret", Namespaced: true, HasStatusSubresource: false);
    public static readonly ResourceKind ConfigMaps = new("", "v1", "configmaps", "ConfigMap", Namespaced: true, HasStatusSubresource: false);
    public static readonly ResourceKind Pods = new("", "v1", "pods", "Pod", Namespaced: true, HasStatusSubresource: true, DeleteReturnsObject: true);
    public static readonly ResourceKind Deployments = new("apps", "v1", "deployments", "Deployment", Namespaced: true, HasStatusSubresource: true);
    public static readonly ResourceKind StatefulSets = new("apps", "v1", "statefulsets", "StatefulSet", Namespaced: true, HasStatusSubresource: true);
    public static readonly ResourceKind DaemonSets = new("apps", "v1", "daemonsets", "DaemonSet", Namespaced: true, HasStatusSubresource: true);
    public static readonly ResourceKind Certificates = new("cert-manager.io", "v1", "certificates", "Certificate", Namespaced: true, HasStatusSubresource: true, DeleteReturnsObject: true);
    public static readonly ResourceKind Issuers = new("cert-manager.io", "v1", "issuers", "Issuer", Namespaced: true, HasStatusSubresource: true, DeleteReturnsObject: true);
    public static readonly ResourceKind ClusterIssuers = new("cert-manager.io", "v1", "clusterissuers", "ClusterIssuer", Namespaced: false, HasStatusSubresource: true, DeleteReturnsObject: true);
    public static readonly ResourceKind CertificateRequests = new("cert-manager.io", "v1", "certificaterequests", "CertificateRequest", Namespaced: true, HasStatusSubresource: true, DeleteReturnsObject: true);
    public static readonly ResourceKind Bundles = new("trust.cert-manager.io", "v1alpha1", "bundles", "Bundle", Namespaced: false, HasStatusSubresource: true, DeleteReturnsObject: true);

    /// <summary>trust-manager's cluster-scoped successor of Bundle (trust-manager.io/v1alpha2, since v0.17).</summary>
    public static readonly ResourceKind ClusterBundles = new("trust-manager.io", "v1alpha2", "clusterbundles", "ClusterBundle", Namespaced: false, HasStatusSubresource: true, DeleteReturnsObject: true);
    public static readonly ResourceKind Events = new("", "v1", "events", "Event", Namespaced: true, HasStatusSubresource: false);

    public static IReadOnlyList<ResourceKind> All { get; } =
    [
        Namespaces, Secrets, ConfigMaps, Pods, Deployments, StatefulSets, DaemonSets, Certificates, Issuers, ClusterIssuers, CertificateRequests, Bundles, ClusterBundles, Events,
    ];

    public static ResourceKind? Find(string group, string version, string plural) =>
        All.FirstOrDefault(k => k.Group == group && k.Version == version && k.Plural == plural);

    public static IEnumerable<string> Groups => All.Where(k => k.Group.Length > 0).Select(k => k.Group).Distinct();
}
