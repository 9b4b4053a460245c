namespace Rotation.Infra.Kubernetes.Clusters;

/// <summary>Where and how AKS clusters registered with --aks are looked up.</summary>
public sealed class AksOptions
{
    /// <summary>Azure Resource Manager; a sovereign cloud has its own.</summary>
    public Uri ArmEndpoint { get; init; } = new("https://management.azure.com/");

    public string ArmScope { get; init; } = "https://management.azure.com/.default";

    public string ApiVersion { get; init; } = "2024-05-01";

    /// <summary>The AKS AAD server application: tokens for this scope are accepted by every Entra-enabled AKS API server.</summary>
    public string ApiServerScope { get; init; } = "6dae42f8-4368-4678-94ff-3960e28e3630/.default";
}
