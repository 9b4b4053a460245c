using k8s;
using k8s.Models;
using Rotation.Core.Domain;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;
using Rotation.Infra.Kubernetes.Targets;
using Rotation.Infra.Kubernetes.Writing;

namespace Rotation.Infra.Kubernetes.Clusters;

/// <summary>
/// Checks a registered cluster the way a rotation will use it: reachable (GET /version), allowed (one
/// SelfSubjectAccessReview per verb and resource each target needs), and ready (each target's preflight for the
/// rotation kind, e.g. Istio multi-root). It writes nothing.
/// </summary>
public sealed class ClusterCheck
{
    private readonly ClusterConnectionFactory _factory;

    public ClusterCheck(ClusterConnectionFactory factory) => _factory = factory;

    /// <summary>The check line name of a drift finding: `rotation cluster check` exits 3 when one fails.</summary>
    public const string DriftCheck = "drift";

    /// <param name="drift">Compares a target's content with the domain's store (see DriftGate); null skips the drift check.</param>
    public Task<ClusterCheckReport> RunAsync(ClusterRegistration cluster, RotationKind kind = RotationKind.Root, Func<TargetContent, IReadOnlyList<string>>? drift = null, CancellationToken cancellationToken = default) =>
        RunAsync(cluster, kind, drift, null, cancellationToken);

    /// <param name="onLine">Told of each line as soon as it is known, so a slow or unreachable cluster shows where it is.</param>
    public async Task<ClusterCheckReport> RunAsync(ClusterRegistration cluster, RotationKind kind, Func<TargetContent, IReadOnlyList<string>>? drift, Action<ClusterCheckLine>? onLine, CancellationToken cancellationToken)
    {
        var lines = new ClusterCheckLines(onLine);
        ClusterConnection connection;
        try
        {
            connection = await _factory.ConnectAsync(cluster, cancellationToken);
        }
        catch (Exception ex) when (ex is TargetUnavailableException or DomainException)
        {
            lines.Add(new ClusterCheckLine("connect", false, ex is TargetUnavailableException u ? u.Reason : ex.Message));
            return new ClusterCheckReport(cluster.Name, null, lines.All);
        }

        using (connection)
        {
            string version;
            try
            {
                var info = await ApiGuard.RunAsync(cluster.Name, cluster.Name, "GET /version", () => connection.Client.Version.GetCodeAsync(cancellationToken), cancellationToken);
                version = info.GitVersion;
                lines.Add(new ClusterCheckLine("reachable", true, $"API server {version}"));
            }
            catch (TargetUnavailableException ex)
            {
                lines.Add(new ClusterCheckLine("reachable", false, ex.Reason));
                return new ClusterCheckReport(cluster.Name, null, lines.All);
            }

            foreach (var spec in cluster.Targets)
            {
                var target = TargetCatalog.Create(connection, spec);
                foreach (var permission in target.RequiredPermissions)
                    lines.Add(await CheckPermissionAsync(connection, target, permission, cancellationToken));
                lines.AddRange(await PreflightAsync(target, kind, cancellationToken));
                if (drift is not null)
                    lines.AddRange(await DriftAsync(target, drift, cancellationToken));
            }

            return new ClusterCheckReport(cluster.Name, version, lines.All);
        }
    }

    private static async Task<ClusterCheckLine> CheckPermissionAsync(ClusterConnection connection, KubernetesTarget target, ResourcePermission permission, CancellationToken cancellationToken)
    {
        var review = new V1SelfSubjectAccessReview
        {
            ApiVersion = "authorization.k8s.io/v1",
            Kind = "SelfSubjectAccessReview",
            Spec = new V1SelfSubjectAccessReviewSpec
            {
                ResourceAttributes = new V1ResourceAttributes
                {
                    Verb = permission.Verb,
                    Group = permission.Group,
                    Resource = permission.Resource,
                    Subresource = permission.Subresource,
                    NamespaceProperty = permission.Namespace,
                },
            },
        };
        var check = $"{target.Name}: may {permission}";
        try
        {
            var answer = await ApiGuard.RunAsync(target.Name, target.Cluster, "SelfSubjectAccessReview",
                () => connection.Client.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(review, cancellationToken: cancellationToken), cancellationToken);
            var allowed = answer.Status?.Allowed == true;
            return new ClusterCheckLine(check, allowed, allowed ? "allowed" : $"denied{(string.IsNullOrEmpty(answer.Status?.Reason) ? "" : $" ({answer.Status.Reason})")}: grant it (see the RBAC in docs/targets.md)");
        }
        catch (TargetUnavailableException ex)
        {
            return new ClusterCheckLine(check, false, ex.Reason);
        }
        catch (k8s.Autorest.HttpOperationException ex)
        {
            return new ClusterCheckLine(check, false, $"could not ask the API server ({KubeErrors.Describe(ex)}); check the RBAC in docs/targets.md by hand");
        }
    }

    /// <summary>One passed line, or a failed line per finding; a target that cannot be read fails the line with its reason. Used for hosts' files targets too.</summary>
    internal static async Task<IReadOnlyList<ClusterCheckLine>> DriftAsync(IRotationTarget target, Func<TargetContent, IReadOnlyList<string>> drift, CancellationToken cancellationToken)
    {
        var check = $"{target.Name}: {DriftCheck}";
        try
        {
            var content = await target.ReadContentAsync(cancellationToken);
            var findings = drift(content);
            if (findings.Count == 0)
                return [new ClusterCheckLine(check, true, $"{string.Join(", ", content.Trust.Select(t => t.Location).Append(content.Issuer?.Location ?? "no issuer"))} hold what the domain expects")];
            return findings.Select(f => new ClusterCheckLine(check, false, f)).ToList();
        }
        catch (TargetUnavailableException ex)
        {
            return [new ClusterCheckLine(check, false, ex.Reason)];
        }
        catch (k8s.Autorest.HttpOperationException ex)
        {
            return [new ClusterCheckLine(check, false, KubeErrors.Describe(ex))];
        }
    }

    private static async Task<IReadOnlyList<ClusterCheckLine>> PreflightAsync(KubernetesTarget target, RotationKind kind, CancellationToken cancellationToken)
    {
        try
        {
            var report = await target.PreflightAsync(kind, cancellationToken);
            return report.Checks.Select(c => new ClusterCheckLine($"{target.Name}: {c.Name}", c.Passed, c.Detail)).ToList();
        }
        catch (TargetUnavailableException ex)
        {
            return [new ClusterCheckLine($"{target.Name}: preflight", false, ex.Reason)];
        }
        catch (k8s.Autorest.HttpOperationException ex)
        {
            return [new ClusterCheckLine($"{target.Name}: preflight", false, KubeErrors.Describe(ex))];
        }
    }
}
