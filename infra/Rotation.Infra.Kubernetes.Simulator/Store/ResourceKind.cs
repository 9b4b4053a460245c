namespace Rotation.Infra.Kubernetes.Simulator.Store;

/// <summary>
/// One served resource type: where it lives in the URL space and what kind its objects carry.
/// <see cref="DeleteReturnsObject"/>: DELETE answers with the deleted object (pods, custom resources) rather than a Status.
/// </summary>
public sealed record ResourceKind(
    string Group,
    string Version,
    string Plural,
    string Kind,
    bool Namespaced,
    bool HasStatusSubresource,
    bool DeleteReturnsObject = false)
{
    /// <summary>"v1" for the core group, "group/version" otherwise.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public string ListKind => Kind + "List";

    public string Singular => Kind.ToLowerInvariant();

    /// <summary>The URL prefix of the group version: "/api/v1" or "/apis/group/version".</summary>
    public string GroupVersionPath => Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}";

    public override string ToString() => Group.Length == 0 ? Plural : $"{Plural}.{Group}";
}
