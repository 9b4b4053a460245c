namespace Rotation.Infra.Kubernetes.Simulator.Controllers;

/// <summary>
/// Where istiod runs and which secret its /etc/cacerts mount shows. Upstream Istio: istio-system/istiod with the
/// Secret cacerts. The AKS add-on: aks-istio-system/istiod-REVISION (revisions asm-1-xx), whose /etc/cacerts is the
/// CSI volume of SecretProviderClass istio-spc-REVISION, synced to the Secret cacerts in the same namespace
/// (MicrosoftDocs/azure-aks-docs@0526c69c articles/aks/istio-plugin-ca.md "Verify that the cacerts gets created";
/// MicrosoftDocs/SupportArticles-docs@051c368b …/extensions/istio-add-on-plug-in-ca-certificate.md "Deployed resources").
/// </summary>
public sealed record IstioLayout(string Namespace, string IstiodDeployment, string CaSecret)
{
    public const string AddOnNamespace = "aks-istio-system";

    public static IstioLayout Upstream { get; } = new(IstioNames.Namespace, IstioNames.IstiodDeployment, IstioNames.CaSecret);

    /// <param name="revision">The add-on's revision, e.g. asm-1-26.</param>
    public static IstioLayout AksAddOn(string revision) => new(AddOnNamespace, "istiod-" + revision, IstioNames.CaSecret) { Revision = revision };

    /// <summary>The mesh config ConfigMap (key mesh): istio, or istio-REVISION for a revisioned install such as the add-on.</summary>
    public string MeshConfigMap => Revision is null ? IstioNames.MeshConfigMap : "istio-" + Revision;

    /// <summary>The add-on revision (asm-1-xx), null for upstream Istio.</summary>
    public string? Revision { get; init; }

    /// <summary>The add-on's SecretProviderClass for the plug-in CA.</summary>
    public string? SecretProviderClass => Revision is null ? null : "istio-spc-" + Revision;
}
