using Rotation.Cli.Output;
using Rotation.Core.Domain;
using Rotation.Core.Rotations;
using Rotation.Infra.Kubernetes.Clusters;
using Spectre.Console;

namespace Rotation.Cli.Commands;

/// <summary>
/// `rotation cluster check` as it runs: a line naming the cluster and how it is reached, each check as it finishes,
/// and a 'timeout' line naming the cluster when it does not answer in time (an unreachable API server otherwise
/// keeps the client retrying in silence).
/// </summary>
internal static class ClusterCheckRun
{
    public const string TimeoutCheck = "timeout";

    public static async Task<ClusterCheckReport> RunAsync(CliServices services, string name, RotationKind kind, TimeSpan timeout, IAnsiConsole progress, CancellationToken cancellationToken)
    {
        var registration = (await services.Clusters.ListAsync(null, cancellationToken)).FirstOrDefault(c => c.Name == name)
            ?? throw new DomainException($"cluster '{name}' is not registered: see 'rotation cluster list'");
        progress.MarkupLineInterpolated($"checking cluster {name} ({ClusterText.Connection(registration)}), up to {TimeText.Left(timeout)}");

        var seen = new List<ClusterCheckLine>();
        var gate = new Lock();
        void OnLine(ClusterCheckLine line)
        {
            lock (gate)
            {
                seen.Add(line);
                ClusterText.RenderLine(progress, line);
            }
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await services.Clusters.CheckAsync(name, kind, OnLine, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var late = new ClusterCheckLine(TimeoutCheck, false, $"cluster '{name}' did not answer within {TimeText.Left(timeout)} ({ClusterText.Connection(registration)}): check that its API server is reachable from here, or raise --timeout");
            OnLine(late);
            lock (gate)
            {
                return new ClusterCheckReport(name, null, [.. seen]);
            }
        }
    }
}
