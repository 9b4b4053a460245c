namespace Rotation.Infra.Kubernetes.Simulator.Store;

/// <summary>Which part of an object a write may change.</summary>
public enum WriteScope
{
    /// <summary>The main endpoint: everything but status, when the kind has a status subresource.</summary>
    Main,

    /// <summary>The /status subresource: only status.</summary>
    Status,

    /// <summary>In-process controllers and seeding: everything.</summary>
    All,
}
