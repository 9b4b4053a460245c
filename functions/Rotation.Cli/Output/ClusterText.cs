using Rotation.Core.Domain;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Targets;
using Spectre.Console;

namespace Rotation.Cli.Output;

/// <summary>How clusters and cluster checks read on a terminal.</summary>
internal static class ClusterText
{
    public static string Connection(ClusterRegistration cluster) => cluster.Connection switch
    {
        ClusterConnectionKind.Kubeconfig => $"kubeconfig {cluster.KubeconfigPath}{(cluster.Context is null ? string.Empty : $" context {cluster.Context}")}",
        ClusterConnectionKind.InCluster => "in-cluster",
        ClusterConnectionKind.Aks => $"aks {cluster.AksResourceId}",
        _ => cluster.Connection.ToString().ToLowerInvariant(),
    };

    public static string Targets(ClusterRegistration cluster) =>
        $"{cluster.Targets.Count} target(s): {string.Join(", ", cluster.Targets.Select(TargetSpecParser.Format))}";

    public static void Render(IAnsiConsole console, ClusterCheckReport report)
    {
        foreach (var line in report.Lines)
        {
            RenderLine(console, line);
        }

        RenderSummary(console, report);
    }

    /// <summary>One check as it finishes: "pass  reachable: API server v1.31.0".</summary>
    public static void RenderLine(IAnsiConsole console, ClusterCheckLine line)
    {
        var mark = line.Passed ? "[green]pass[/]" : "[red]FAIL[/]";
        console.MarkupLine($"{mark}  {Markup.Escape(line.Check)}: {Markup.Escape(line.Detail)}");
    }

    public static void RenderSummary(IAnsiConsole console, ClusterCheckReport report)
    {
        var failed = report.Lines.Count(l => !l.Passed);
        console.MarkupLine(failed == 0
            ? $"Cluster [bold]{Markup.Escape(report.Cluster)}[/] is ready: all {report.Lines.Count} checks pass."
            : $"Cluster [bold]{Markup.Escape(report.Cluster)}[/] is not ready: {failed} of {report.Lines.Count} checks fail.");
    }
}
