namespace Rotation.Core.Domain;

/// <summary>How Rotation reaches a cluster's API server.</summary>
public enum ClusterConnectionKind
{
    Kubeconfig,
    InCluster,
    Aks,
    /// <summary>The drill's in-process simulated cluster.</summary>
    Simulated,
    /// <summary>No API server: a machine (VM, front end, database host) whose consumers read CA files from a directory (the `files` target).</summary>
    Host,
}

/// <summary>One mesh component in a cluster that holds CA material: "istio", "linkerd", "cert-manager", "trust-manager", "simulated".</summary>
public sealed record TargetSpec(string Kind, IReadOnlyDictionary<string, string> Options);

/// <summary>A registered cluster. It belongs to one trust domain; a rotation fans out to every cluster of its domain.</summary>
public sealed record ClusterRegistration(
    string Name,
    string Domain,
    ClusterConnectionKind Connection,
    string? KubeconfigPath,
    string? Context,
    string? AksResourceId,
    IReadOnlyList<TargetSpec> Targets,
    DateTimeOffset RegisteredAt,
    long Version = 0);
