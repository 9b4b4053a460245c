namespace Rotation.Infra.Kubernetes.Simulator.Api;

/// <summary>
/// RBAC for the simulated user: everything is allowed until a rule denies it. Denied requests get 403 Forbidden,
/// and SelfSubjectAccessReviews answer from the same rules, so a permission preflight sees what the writes will see.
/// </summary>
public sealed class AccessPolicy
{
    public const string UserName = "system:serviceaccount:rotation:rotation";
    private readonly object _gate = new();
    private readonly List<(string Verb, string Group, string Resource, string? Namespace)> _denied = [];

    /// <summary>Denies <paramref name="verb"/> ("*" for all) on a resource plural, optionally only in one namespace.</summary>
    public void Deny(string verb, string resource, string? @namespace = null, string group = "")
    {
        lock (_gate)
        {
            _denied.Add((verb, group, resource, @namespace));
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _denied.Clear();
        }
    }

    public bool IsAllowed(string verb, string group, string resource, string? @namespace)
    {
        lock (_gate)
        {
            return !_denied.Any(d => (d.Verb == "*" || d.Verb == verb) && d.Group == group && d.Resource == resource
                                     && (d.Namespace is null || d.Namespace == @namespace));
        }
    }

    internal static string ForbiddenMessage(ApiRequestInfo request)
    {
        var subject = request.Name is null ? request.Resource : $"{request.Resource} \"{request.Name}\"";
        var where = request.Namespace is null ? "at the cluster scope" : $"in the namespace \"{request.Namespace}\"";
        return $"{subject} is forbidden: User \"{UserName}\" cannot {request.Verb} resource \"{request.Resource}\" in API group \"{request.Group}\" {where}";
    }
}
