using k8s.Models;
using Rotation.Core.Authorities.Istio;
using Rotation.Core.Ports;

namespace Rotation.Infra.Kubernetes.Targets.CertManager;

/// <summary>
/// Which cert-manager runs, from its controller Deployment as the chart labels it (cert-manager/cert-manager 2d0d7f7f
/// deploy/charts/cert-manager/templates/deployment.yaml: app.kubernetes.io/name=cert-manager,
/// app.kubernetes.io/component=controller; _helpers.tpl "labels": app.kubernetes.io/version = the chart's appVersion;
/// the static manifests are rendered from the same chart), else from the cert-manager-controller image tag. It decides
/// what workloads see in an issued Secret's ca.crt: since v1.4 (PR #3978) the root of the chain cert-manager built, before
/// it the issuing CA itself. (The semver parsing is the one the Istio target uses for istiod tags.)
/// </summary>
internal static class CertManagerVersion
{
    public const string LabelSelector = "app.kubernetes.io/name=cert-manager,app.kubernetes.io/component=controller";

    public static PreflightCheck Check(V1Deployment? controller, IReadOnlyList<string> searched)
    {
        if (controller is null)
        {
            return new("version", true,
                $"warning: no cert-manager controller Deployment ({LabelSelector}) in {string.Join(", ", searched)}, so the version is unknown. "
                + "Since v1.4 an issued Secret's ca.crt is the root of the chain cert-manager builds; before, it is the issuing CA: check which one your workloads trust");
        }

        var label = controller.Metadata?.Labels?.TryGetValue("app.kubernetes.io/version", out var text) == true ? text : null;
        var image = controller.Spec?.Template?.Spec?.Containers?.FirstOrDefault(c => c.Name == "cert-manager-controller")?.Image
            ?? controller.Spec?.Template?.Spec?.Containers?.FirstOrDefault()?.Image;
        var version = IstiodVersion.Parse(label) ?? IstiodVersion.FromImage(image);
        var where = $"deployment {controller.Namespace()}/{controller.Name()}";
        if (version is null)
        {
            return new("version", true,
                $"warning: {where} has no app.kubernetes.io/version label and image {image ?? "(none)"} has no version tag, so the version is unknown. "
                + "Since v1.4 an issued Secret's ca.crt is the root of the chain cert-manager builds; before, it is the issuing CA: check which one your workloads trust");
        }

        return version.AtLeast(1, 4)
            ? new("version", true, $"cert-manager v{version} ({where}): issued Secrets' ca.crt holds the root of the chain it built (since v1.4, PR #3978), so workloads that trust ca.crt trust the root, which changes only with a root rotation")
            : new("version", true, $"cert-manager v{version} ({where}) is older than v1.4: issued Secrets' ca.crt holds the issuing CA, not the root, so workloads that trust ca.crt trust the intermediate and break when it changes, and with certificateCaTrust=report the trust gate never sees the root there: upgrade cert-manager or distribute trust with trust-manager (certificateCaTrust=ignore)");
    }
}
