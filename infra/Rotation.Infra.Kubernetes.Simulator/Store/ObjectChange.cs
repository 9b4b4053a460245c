namespace Rotation.Infra.Kubernetes.Simulator.Store;

public enum ObjectChangeType
{
    Added,
    Modified,
    Deleted,
}

/// <summary>What changed in the store; the object itself is read back by whoever cares.</summary>
public sealed class ObjectChangedEventArgs(ResourceKind kind, string? @namespace, string name, ObjectChangeType type, string resourceVersion) : EventArgs
{
    public ResourceKind Kind { get; } = kind;
    public string? Namespace { get; } = @namespace;
    public string Name { get; } = name;
    public ObjectChangeType Type { get; } = type;
    public string ResourceVersion { get; } = resourceVersion;

    /// <summary>The object as committed (for a delete: as it was last), taken under the store's lock; watch events carry it.</summary>
    public System.Text.Json.Nodes.JsonObject? Object { get; init; }
}
