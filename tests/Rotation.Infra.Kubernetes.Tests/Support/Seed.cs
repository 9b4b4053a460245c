using System.Text.Json.Nodes;
using Rotation.Core.Pki;
using Rotation.Infra.Kubernetes.Simulator.Seeding;
using Rotation.Infra.Kubernetes.Simulator.Store;
using Rotation.Testing;

namespace Rotation.Infra.Kubernetes.Tests.Support;

/// <summary>Puts mesh installations into a simulated cluster the way their installers leave them.</summary>
public static class Seed
{
    /// <param name="version">istiod's image tag: the cacerts reload rule depends on it.</param>
    /// <param name="pcds">meshConfig.defaultConfig.proxyMetadata.PROXY_CONFIG_XDS_AGENT, as article 003 sets it.</param>
    public static void Istio(KubeObjectStore store, TestHierarchy current, bool multiRoot, IEnumerable<string>? namespaces = null, string version = "1.26.2", string? pcds = "true")
    {
        store.PutSecret("istio-system", "cacerts", new Dictionary<string, string>
        {
            ["ca-cert.pem"] = current.Intermediate.Certificate.ToPem(),
            ["ca-key.pem"] = current.Intermediate.Key.ToPkcs8Pem(),
            ["cert-chain.pem"] = Pem.WriteCertificates([current.Intermediate.Certificate, current.Root.Certificate]),
            ["root-cert.pem"] = current.Root.Certificate.ToPem(),
        });
        var istiod = Deployment("istio-system", "istiod", multiRoot ? new() { ["ISTIO_MULTIROOT_MESH"] = "true" } : []);
        istiod["spec"]!["template"]!["spec"]!["containers"]![0]!["image"] = "docker.io/istio/pilot:" + version;
        store.Put(ResourceKinds.Deployments, istiod);
        if (pcds is not null)
            store.PutConfigMap("istio-system", "istio", new Dictionary<string, string> { ["mesh"] = $"defaultConfig:\n  proxyMetadata:\n    PROXY_CONFIG_XDS_AGENT: \"{pcds}\"\n" });
        foreach (var ns in namespaces ?? ["default", "payments"])
            store.PutConfigMap(ns, "istio-ca-root-cert", new Dictionary<string, string> { ["root-cert.pem"] = current.Root.Certificate.ToPem() });
    }

    /// <summary>What istiod's namespace controller does: copy cacerts' root-cert.pem into every namespace's istio-ca-root-cert.</summary>
    public static void IstiodCopiesRoots(KubeObjectStore store)
    {
        var roots = KubeObjects.SecretText(store.Get(ResourceKinds.Secrets, "istio-system", "cacerts"), "root-cert.pem")!;
        foreach (var map in store.List(ResourceKinds.ConfigMaps, filter: o => KubeObjects.Name(o) == "istio-ca-root-cert").Items)
            store.PutConfigMap(KubeObjects.Namespace(map)!, "istio-ca-root-cert", new Dictionary<string, string> { ["root-cert.pem"] = roots });
    }

    public static JsonObject Deployment(string ns, string name, Dictionary<string, string> env, int replicas = 1, Dictionary<string, string>? templateAnnotations = null)
    {
        var envArray = new JsonArray();
        foreach (var (key, value) in env)
            envArray.Add(new JsonObject { ["name"] = key, ["value"] = value });
        var template = new JsonObject
        {
            ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = name } },
            ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "main", ["image"] = "example/" + name, ["env"] = envArray }) },
        };
        if (templateAnnotations is not null)
            ((JsonObject)template["metadata"]!)["annotations"] = KubeObjects.StringData(templateAnnotations);
        var deployment = KubeObjects.New(ResourceKinds.Deployments, ns, name);
        deployment["spec"] = new JsonObject
        {
            ["replicas"] = replicas,
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = name } },
            ["template"] = template,
        };
        deployment["status"] = new JsonObject { ["observedGeneration"] = 1, ["replicas"] = replicas, ["updatedReplicas"] = replicas, ["availableReplicas"] = replicas };
        return deployment;
    }
}
