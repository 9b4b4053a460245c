using System.Text.Json.Nodes;

namespace Rotation.Infra.Kubernetes.Simulator.Store;

/// <summary>A consistent list: the items (copies) and the store's resource version when they were read.</summary>
public sealed record StoreListResult(IReadOnlyList<JsonObject> Items, string ResourceVersion);
