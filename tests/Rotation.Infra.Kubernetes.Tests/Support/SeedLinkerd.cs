using System.Text.Json.Nodes;
using Rotation.Core.Pki;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Testing;

namespace Rotation.Infra.Kubernetes.Tests.Support;

/// <summary>A Linkerd installation: control plane, trust roots, issuer, and meshed workloads whose proxies hold anchors from their start.</summary>
public static class SeedLinkerd
{
    public static readonly string[] ControlPlane = ["linkerd-destination", "linkerd-identity", "linkerd-proxy-injector"];

    public static void Install(KubeObjectStore store, TestHierarchy current)
    {
        var anchors = current.Root.Certificate.ToPem();
        store.PutConfigMap("linkerd", "linkerd-identity-trust-roots", new Dictionary<string, string> { ["ca-bundle.crt"] = anchors });
        store.PutSecret("linkerd", "linkerd-identity-issuer", new Dictionary<string, string>
        {
            ["tls.crt"] = current.Intermediate.Certificate.ToPem(),
            ["tls.key"] = current.Intermediate.Key.ToPkcs8Pem(),
            ["ca.crt"] = anchors,
        }, "kubernetes.io/tls");
        foreach (var name in ControlPlane)
            Workload(store, "linkerd", name, anchors);
        // linkerd/linkerd2 b24cd405 controller/cmd/identity/main.go flags, as the chart passes them.
        store.Modify(ResourceKinds.Deployments, "linkerd", "linkerd-identity", d =>
        {
            d["spec"]!["template"]!["spec"]!["containers"]![0]!["name"] = "identity";
            d["spec"]!["template"]!["spec"]!["containers"]![0]!["args"] = new JsonArray("identity", "-identity-scheme=kubernetes.io/tls", "-identity-issuance-lifetime=48h0m0s");
            return d;
        }, WriteScope.All);
    }

    /// <summary>A Deployment and one meshed pod running with <paramref name="anchors"/>.</summary>
    public static void Workload(KubeObjectStore store, string ns, string name, string anchors, bool injectDisabled = false)
    {
        store.EnsureNamespace(ns);
        store.Put(ResourceKinds.Deployments, Seed.Deployment(ns, name, [], templateAnnotations: injectDisabled ? new() { ["linkerd.io/inject"] = "disabled" } : null));
        if (!injectDisabled)
            Pod(store, ns, name, anchors);
    }

    /// <summary>What the proxy injector and the Deployment controller do on a restart: a new pod with the anchors of the moment.</summary>
    public static void ReplacePods(KubeObjectStore store, string ns, string deployment)
    {
        var anchors = KubeObjects.ConfigMapText(store.Get(ResourceKinds.ConfigMaps, "linkerd", "linkerd-identity-trust-roots"), "ca-bundle.crt")!;
        Pod(store, ns, deployment, anchors);
    }

    /// <summary>
    /// A meshed pod. Control plane pods (namespace linkerd) are not injected: their anchors come from
    /// `valueFrom: configMapKeyRef` (linkerd/linkerd2 b24cd405 charts/partials/templates/_proxy.tpl), resolved at
    /// container start. Pods carry their Deployment's template annotations (restartedAt after a restart) and a startTime.
    /// </summary>
    public static void Pod(KubeObjectStore store, string ns, string deployment, string anchors)
    {
        var pod = KubeObjects.New(ResourceKinds.Pods, ns, deployment + "-pod", new Dictionary<string, string> { ["app"] = deployment, ["linkerd.io/control-plane-ns"] = "linkerd" });
        // Owned as a Deployment's pods are: through its ReplicaSet.
        pod["metadata"]!["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = "ReplicaSet", ["name"] = deployment + "-5d8f7c9b6", ["controller"] = true });
        if (store.TryGet(ResourceKinds.Deployments, ns, deployment)?["spec"]?["template"]?["metadata"]?["annotations"] is JsonObject annotations)
            pod["metadata"]!["annotations"] = annotations.DeepClone();
        var anchorsEnv = ns == "linkerd"
            ? new JsonObject { ["name"] = "LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS", ["valueFrom"] = new JsonObject { ["configMapKeyRef"] = new JsonObject { ["name"] = "linkerd-identity-trust-roots", ["key"] = "ca-bundle.crt" } } }
            : new JsonObject { ["name"] = "LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS", ["value"] = anchors };
        pod["spec"] = new JsonObject
        {
            ["containers"] = new JsonArray(
                new JsonObject { ["name"] = "app", ["image"] = "example/" + deployment },
                new JsonObject
                {
                    ["name"] = "linkerd-proxy",
                    ["image"] = "cr.l5d.io/linkerd/proxy",
                    ["env"] = new JsonArray(anchorsEnv),
                }),
        };
        pod["status"] = new JsonObject { ["phase"] = "Running", ["startTime"] = KubeObjects.Timestamp(DateTimeOffset.UtcNow) };
        store.Put(ResourceKinds.Pods, pod);
    }

    public static string Anchors(TrustBundle bundle) => bundle.ToPem();
}
