using System.Globalization;
using k8s;
using k8s.Models;
using Rotation.Core.Ports;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Writing;

namespace Rotation.Infra.Kubernetes.Targets;

/// <summary>A Deployment, StatefulSet or DaemonSet (apps/v1): what `kubectl rollout restart` can restart.</summary>
internal sealed record WorkloadRef(string Kind, string Namespace, string Name)
{
    public const string Deployment = "Deployment";
    public const string StatefulSet = "StatefulSet";
    public const string DaemonSet = "DaemonSet";

    public override string ToString() => $"{Kind.ToLowerInvariant()} {Namespace}/{Name}";
}

/// <summary>
/// A rollout restart as kubectl does it (kubernetes/kubectl pkg/polymorphichelpers/objectrestarter.go: patch
/// spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"] with the time), at most N workloads at once,
/// each waited on until rolled out as `kubectl rollout status` judges it (kubernetes/kubectl 53ef3ab,
/// pkg/polymorphichelpers/rollout_status.go: the Deployment, StatefulSet and DaemonSet status viewers),
/// within <see cref="KubernetesAdapterOptions.RolloutTimeout"/>. A rollout that does not finish in time fails the
/// step, naming the workloads. Running the step again restarts nothing already restarted: with
/// <c>restartedSince</c> (when the trust roots were written) a workload whose restartedAt is not older is skipped; without
/// it, one marked with this rotation and phase is. A skipped workload whose rollout has not finished is waited on again,
/// so a re-run after a timeout finishes (or fails on) what the timed-out run left.
/// </summary>
internal sealed class WorkloadRestarter
{
    private readonly ClusterConnection _connection;
    private readonly string _target;

    public WorkloadRestarter(ClusterConnection connection, string target)
    {
        _connection = connection;
        _target = target;
    }

    /// <returns>The workloads restarted now (not those already restarted).</returns>
    public async Task<IReadOnlyList<WorkloadRef>> RestartAsync(IReadOnlyList<WorkloadRef> workloads, RotationWriteContext context, int maxConcurrency, CancellationToken cancellationToken, DateTimeOffset? restartedSince = null)
    {
        var marker = ManagedMetadata.RestartMarker(context);
        var restarted = new System.Collections.Concurrent.ConcurrentQueue<WorkloadRef>();
        var timedOut = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await BoundedFanOut.ForEachAsync(workloads, maxConcurrency, async (workload, token) =>
        {
            var current = await ReadAsync(workload, token);
            if (current is null)
                return;
            if (!AlreadyRestarted(current, marker, restartedSince))
            {
                var patch = new
                {
                    metadata = new { annotations = new Dictionary<string, string> { [ManagedMetadata.RestartedForAnnotation] = marker } },
                    spec = new { template = new { metadata = new { annotations = new Dictionary<string, string> { [ManagedMetadata.RestartedAtAnnotation] = _connection.TimeProvider.GetUtcNow().ToString("O", CultureInfo.InvariantCulture) } } } },
                };
                await ApiGuard.RunAsync(_target, _connection.ClusterName, $"restarting {workload}", () => PatchAsync(workload, new V1Patch(patch, V1Patch.PatchType.MergePatch), token), token);
                restarted.Enqueue(workload);
            }

            if (await WaitForRolloutAsync(workload, token) is { } stuck)
                timedOut.Enqueue(stuck);
        }, cancellationToken);
        if (!timedOut.IsEmpty)
        {
            throw new TargetUnavailableException(_target,
                $"cluster '{_connection.ClusterName}': rollout did not finish within {_connection.Options.RolloutTimeout}: {string.Join("; ", timedOut.OrderBy(t => t, StringComparer.Ordinal))}. "
                + "Their proxies keep the old anchors until new pods run: fix what holds the rollout (kubectl rollout status, pod events), then run the step again; it restarts nothing already restarted");
        }

        return restarted.ToList();
    }

    /// <summary>Whether <see cref="RestartAsync"/> would restart <paramref name="workload"/> (it exists and was not restarted since <paramref name="restartedSince"/>).</summary>
    public async Task<bool> NeedsRestartAsync(WorkloadRef workload, DateTimeOffset? restartedSince, CancellationToken cancellationToken) =>
        await ReadAsync(workload, cancellationToken) is { } current && !AlreadyRestarted(current, marker: "", restartedSince);

    private static bool AlreadyRestarted(Snapshot current, string marker, DateTimeOffset? restartedSince) =>
        restartedSince is { } since
            ? current.RestartedAt is { } at && at >= since
            : current.RestartedFor == marker;

    /// <summary>What the restarter needs of a workload, whatever its kind.</summary>
    private sealed record Snapshot(long Generation, string? RestartedFor, DateTimeOffset? RestartedAt, string? NotRolledOut);

    private Task<Snapshot?> ReadAsync(WorkloadRef workload, CancellationToken cancellationToken) =>
        ApiGuard.RunAsync(_target, _connection.ClusterName, $"reading {workload}", async () =>
        {
            try
            {
                var apps = _connection.Client.AppsV1;
                return workload.Kind switch
                {
                    WorkloadRef.StatefulSet => Of(await apps.ReadNamespacedStatefulSetAsync(workload.Name, workload.Namespace, cancellationToken: cancellationToken)),
                    WorkloadRef.DaemonSet => Of(await apps.ReadNamespacedDaemonSetAsync(workload.Name, workload.Namespace, cancellationToken: cancellationToken)),
                    _ => Of(await apps.ReadNamespacedDeploymentAsync(workload.Name, workload.Namespace, cancellationToken: cancellationToken)),
                };
            }
            catch (Exception ex) when (KubeErrors.IsNotFound(ex))
            {
                return (Snapshot?)null;
            }
        }, cancellationToken);

    private async Task PatchAsync(WorkloadRef workload, V1Patch patch, CancellationToken cancellationToken)
    {
        var apps = _connection.Client.AppsV1;
        var manager = ManagedMetadata.FieldManager;
        switch (workload.Kind)
        {
            case WorkloadRef.StatefulSet:
                await apps.PatchNamespacedStatefulSetAsync(patch, workload.Name, workload.Namespace, fieldManager: manager, cancellationToken: cancellationToken);
                break;
            case WorkloadRef.DaemonSet:
                await apps.PatchNamespacedDaemonSetAsync(patch, workload.Name, workload.Namespace, fieldManager: manager, cancellationToken: cancellationToken);
                break;
            default:
                await apps.PatchNamespacedDeploymentAsync(patch, workload.Name, workload.Namespace, fieldManager: manager, cancellationToken: cancellationToken);
                break;
        }
    }

    /// <returns>Null once rolled out (or gone), else what is still missing when the timeout passed.</returns>
    private async Task<string?> WaitForRolloutAsync(WorkloadRef workload, CancellationToken cancellationToken)
    {
        var deadline = _connection.TimeProvider.GetUtcNow() + _connection.Options.RolloutTimeout;
        while (true)
        {
            var current = await ReadAsync(workload, cancellationToken);
            if (current?.NotRolledOut is not { } missing)
                return null;
            if (_connection.TimeProvider.GetUtcNow() >= deadline)
                return $"{workload} ({missing})";
            await Task.Delay(_connection.Options.RolloutPollInterval, _connection.TimeProvider, cancellationToken);
        }
    }

    private static DateTimeOffset? RestartedAt(V1PodTemplateSpec? template) =>
        template?.Metadata?.Annotations?.TryGetValue(ManagedMetadata.RestartedAtAnnotation, out var text) == true
        && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : null;

    private static string? RestartedFor(V1ObjectMeta? metadata) =>
        metadata?.Annotations?.TryGetValue(ManagedMetadata.RestartedForAnnotation, out var marker) == true ? marker : null;

    /// <summary>kubectl's DeploymentStatusViewer: observed generation, then updated, old and available replicas.</summary>
    private static Snapshot Of(V1Deployment d)
    {
        var s = d.Status;
        var wanted = d.Spec?.Replicas ?? 1;
        var generation = d.Metadata?.Generation ?? 0;
        string? missing = (s?.ObservedGeneration ?? 0) < generation ? "waiting for the controller to observe the restart"
            : (s?.UpdatedReplicas ?? 0) < wanted ? $"{s?.UpdatedReplicas ?? 0} of {wanted} new replicas updated"
            : (s?.Replicas ?? 0) > (s?.UpdatedReplicas ?? 0) ? $"{(s?.Replicas ?? 0) - (s?.UpdatedReplicas ?? 0)} old replicas pending termination"
            : (s?.AvailableReplicas ?? 0) < (s?.UpdatedReplicas ?? 0) ? $"{s?.AvailableReplicas ?? 0} of {s?.UpdatedReplicas ?? 0} updated replicas available"
            : null;
        return new(generation, RestartedFor(d.Metadata), RestartedAt(d.Spec?.Template), missing);
    }

    /// <summary>kubectl's StatefulSetStatusViewer (RollingUpdate): observed generation, ready replicas, then update revision reached.</summary>
    private static Snapshot Of(V1StatefulSet sts)
    {
        var s = sts.Status;
        var wanted = sts.Spec?.Replicas ?? 1;
        var generation = sts.Metadata?.Generation ?? 0;
        string? missing = (s?.ObservedGeneration ?? 0) == 0 || (s?.ObservedGeneration ?? 0) < generation ? "waiting for the controller to observe the restart"
            : (s?.ReadyReplicas ?? 0) < wanted ? $"{s?.ReadyReplicas ?? 0} of {wanted} pods ready"
            : s?.UpdateRevision != s?.CurrentRevision ? $"{s?.UpdatedReplicas ?? 0} of {wanted} pods at revision {s?.UpdateRevision}"
            : null;
        return new(generation, RestartedFor(sts.Metadata), RestartedAt(sts.Spec?.Template), missing);
    }

    /// <summary>kubectl's DaemonSetStatusViewer: observed generation, updated scheduled, then available.</summary>
    private static Snapshot Of(V1DaemonSet ds)
    {
        var s = ds.Status;
        var generation = ds.Metadata?.Generation ?? 0;
        var desired = s?.DesiredNumberScheduled ?? 0;
        string? missing = (s?.ObservedGeneration ?? 0) < generation ? "waiting for the controller to observe the restart"
            : (s?.UpdatedNumberScheduled ?? 0) < desired ? $"{s?.UpdatedNumberScheduled ?? 0} of {desired} updated pods scheduled"
            : (s?.NumberAvailable ?? 0) < desired ? $"{s?.NumberAvailable ?? 0} of {desired} updated pods available"
            : null;
        return new(generation, RestartedFor(ds.Metadata), RestartedAt(ds.Spec?.Template), missing);
    }
}
