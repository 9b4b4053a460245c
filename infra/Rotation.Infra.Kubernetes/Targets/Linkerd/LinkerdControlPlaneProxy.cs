using k8s.Models;
using Rotation.Core.Ports;

namespace Rotation.Infra.Kubernetes.Targets.Linkerd;

/// <summary>
/// The control plane's own proxies (identity, destination, proxy-injector) are not injected: their
/// LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS comes from `valueFrom: configMapKeyRef` on linkerd-identity-trust-roots
/// (linkerd/linkerd2 b24cd405, charts/partials/templates/_proxy.tpl, proxy.loadTrustBundleFromConfigMap), which the
/// kubelet resolves once, when the container starts. Upstream's own checks skip these pods for that reason
/// (cli/cmd/upgrade.go ensureIssuerCertWorksWithAllProxies, pkg/healthcheck/healthcheck.go
/// checkPodsProxiesCertificate). Evidence for them is therefore time: a proxy that started after Rotation last wrote
/// the ConfigMap holds its current content; one that started before holds what was there then, reported as a store
/// holding nothing so the gate names it. Without Rotation's write time (a ConfigMap Rotation never wrote) the current
/// content is assumed. Limitation: the cluster's clock and Rotation's are compared, at one-second resolution.
/// </summary>
internal static class LinkerdControlPlaneProxy
{
    public const string WrittenAtAnnotation = "rotation.dev/trust-roots-written-at";

    public static TrustStoreObservation Observe(LinkerdTarget target, V1Pod pod, string location, V1ConfigMap? trustRoots, string key)
    {
        var content = trustRoots?.Data is { } data && data.TryGetValue(key, out var text) ? text : null;
        var startedAt = ProxyStart(pod);
        if (WrittenAt(trustRoots) is not { } writtenAt)
            return target.ObserveText($"{location} (anchors from configmap {trustRoots?.Namespace()}/{trustRoots?.Name()} at container start)", content);
        if (startedAt is null)
            return new TrustStoreObservation($"{location} (anchors from configmap at container start; the proxy has not started yet)", []);
        // A pod created from a template Rotation restarted after the write starts after it, whatever the second.
        if (RestartedAt(pod) is { } restartedAt && restartedAt >= writtenAt)
            return target.ObserveText($"{location} (anchors from configmap, restarted {restartedAt:u} after the write at {writtenAt:u})", content);
        if (startedAt.Value <= writtenAt)
            return new TrustStoreObservation($"{location} (anchors from configmap at container start {startedAt:u}, before the trust roots were written at {writtenAt:u}: restart it)", []);
        return target.ObserveText($"{location} (anchors from configmap, started {startedAt:u} after the write at {writtenAt:u})", content);
    }

    public static DateTimeOffset? WrittenAt(V1ConfigMap? map) =>
        map?.Metadata?.Annotations?.TryGetValue(WrittenAtAnnotation, out var text) == true
        && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : null;

    private static DateTimeOffset? RestartedAt(V1Pod pod) =>
        pod.Metadata?.Annotations?.TryGetValue(Writing.ManagedMetadata.RestartedAtAnnotation, out var text) == true
        && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : null;

    /// <summary>The proxy container's running startedAt, else the pod's startTime.</summary>
    private static DateTimeOffset? ProxyStart(V1Pod pod)
    {
        var status = (pod.Status?.ContainerStatuses ?? []).Concat(pod.Status?.InitContainerStatuses ?? [])
            .FirstOrDefault(c => c.Name == LinkerdTarget.ProxyContainer);
        if (status?.State?.Running?.StartedAt is { } started)
            return new DateTimeOffset(DateTime.SpecifyKind(started, DateTimeKind.Utc));
        return pod.Status?.StartTime is { } podStart ? new DateTimeOffset(DateTime.SpecifyKind(podStart, DateTimeKind.Utc)) : null;
    }
}
