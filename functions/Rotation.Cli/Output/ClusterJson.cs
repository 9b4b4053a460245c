using Rotation.Core.Domain;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Targets;

namespace Rotation.Cli.Output;

/// <summary>The JSON shapes of 'rotation cluster list --json' and 'rotation cluster check --json'.</summary>
internal static class ClusterJson
{
    public static ClusterRow Of(ClusterRegistration cluster) => new(
        cluster.Name,
        cluster.Domain,
        cluster.Connection switch
        {
            ClusterConnectionKind.Kubeconfig => "kubeconfig",
            ClusterConnectionKind.InCluster => "in-cluster",
            ClusterConnectionKind.Aks => "aks",
            _ => cluster.Connection.ToString().ToLowerInvariant(),
        },
        cluster.KubeconfigPath,
        cluster.Context,
        cluster.AksResourceId,
        cluster.Targets.Select(TargetSpecParser.Format).ToList(),
        cluster.RegisteredAt);

    public static CheckResult Of(ClusterCheckReport report) => new(
        report.Cluster,
        report.ServerVersion,
        report.Passed,
        report.Lines.Select(l => new CheckLine(l.Check, l.Passed, l.Detail)).ToList());

    internal sealed record ClusterRow(
        string Name,
        string Domain,
        string Connection,
        string? Kubeconfig,
        string? Context,
        string? AksResourceId,
        IReadOnlyList<string> Targets,
        DateTimeOffset RegisteredAt);

    internal sealed record CheckResult(string Cluster, string? ServerVersion, bool Passed, IReadOnlyList<CheckLine> Checks);

    internal sealed record CheckLine(string Check, bool Passed, string Detail);
}
