using k8s;
using k8s.Models;
using Rotation.Core.Ports;
using Rotation.Infra.Kubernetes.Clusters;
using Rotation.Infra.Kubernetes.Writing;

namespace Rotation.Infra.Kubernetes.Targets;

/// <summary>
/// A rollout restart as kubectl does it (patch the pod template's restartedAt annotation), at most N Deployments at
/// once, each waited on until rolled out (bounded by <see cref="KubernetesAdapterOptions.RolloutTimeout"/>). The
/// Deployment is marked with the rotation and phase it was restarted for, so running the step again restarts nothing.
/// </summary>
internal sealed class DeploymentRestarter
{
    private readonly ClusterConnection _connection;
    private readonly string _target;

    public DeploymentRestarter(ClusterConnection connection, string target)
    {
        _connection = connection;
        _target = target;
    }

    /// <returns>The Deployments restarted now (not those already restarted for this rotation and phase).</returns>
    public async Task<IReadOnlyList<string>> RestartAsync(IReadOnlyList<(string Namespace, string Name)> deployments, RotationWriteContext context, int maxConcurrency, CancellationToken cancellationToken)
    {
        var marker = ManagedMetadata.RestartMarker(context);
        var restarted = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await BoundedFanOut.ForEachAsync(deployments, maxConcurrency, async (deployment, token) =>
        {
            var (ns, name) = deployment;
            var current = await ReadAsync(ns, name, token);
            if (current is null || current.Metadata?.Annotations?.TryGetValue(ManagedMetadata.RestartedForAnnotation, out var done) == true && done == marker)
                return;
            var patch = new
            {
                metadata = new { annotations = new Dictionary<string, string> { [ManagedMetadata.RestartedForAnnotation] = marker } },
                spec = new { template = new { metadata = new { annotations = new Dictionary<string, string> { [ManagedMetadata.RestartedAtAnnotation] = _connection.TimeProvider.GetUtcNow().ToString("O") } } } },
            };
            var patched = await ApiGuard.RunAsync(_target, _connection.ClusterName, $"restarting deployment {ns}/{name}",
                () => _connection.Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), name, ns, fieldManager: ManagedMetadata.FieldManager, cancellationToken: token),
                token);
            restarted.Enqueue($"{ns}/{name}");
            await WaitForRolloutAsync(ns, name, patched.Metadata?.Generation ?? 0, token);
        }, cancellationToken);
        return restarted.ToList();
    }

    private Task<V1Deployment?> ReadAsync(string ns, string name, CancellationToken cancellationToken) =>
        ApiGuard.RunAsync(_target, _connection.ClusterName, $"reading deployment {ns}/{name}", async () =>
        {
            try
            {
                return await _connection.Client.AppsV1.ReadNamespacedDeploymentAsync(name, ns, cancellationToken: cancellationToken);
            }
            catch (Exception ex) when (KubeErrors.IsNotFound(ex))
            {
                return (V1Deployment?)null;
            }
        }, cancellationToken);

    private async Task WaitForRolloutAsync(string ns, string name, long generation, CancellationToken cancellationToken)
    {
        var deadline = _connection.TimeProvider.GetUtcNow() + _connection.Options.RolloutTimeout;
        while (_connection.TimeProvider.GetUtcNow() < deadline)
        {
            var current = await ReadAsync(ns, name, cancellationToken);
            if (current is null || IsRolledOut(current, generation))
                return;
            await Task.Delay(_connection.Options.RolloutPollInterval, _connection.TimeProvider, cancellationToken);
        }

        // A slow rollout does not fail the step: the trust gate looks at the pods themselves and holds until they move.
    }

    private static bool IsRolledOut(V1Deployment deployment, long generation)
    {
        var status = deployment.Status;
        var wanted = deployment.Spec?.Replicas ?? 1;
        return status is not null
            && (status.ObservedGeneration ?? 0) >= generation
            && (status.UpdatedReplicas ?? 0) >= wanted
            && (status.Replicas ?? 0) <= wanted
            && (status.AvailableReplicas ?? 0) >= wanted;
    }
}
