namespace Rotation.Infra.Kubernetes.Targets;

/// <summary>One verb on one resource a target needs; the cluster check asks the API server (SelfSubjectAccessReview) about each.</summary>
public sealed record ResourcePermission(string Verb, string Group, string Resource, string? Namespace = null, string? Subresource = null)
{
    public override string ToString()
    {
        var resource = string.IsNullOrEmpty(Group) ? Resource : $"{Resource}.{Group}";
        if (!string.IsNullOrEmpty(Subresource))
            resource += "/" + Subresource;
        return Namespace is null ? $"{Verb} {resource} (cluster-wide)" : $"{Verb} {resource} in {Namespace}";
    }
}
