using System.Text.Json.Nodes;
using Rotation.Core.Pki;
using Rotation.Infra.Kubernetes.Simulator.Controllers;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Seeding;

/// <summary>Installs the objects each mesh starts from, as its installer (istioctl, linkerd install, helm) would.</summary>
public static class MeshSeeding
{
    /// <summary>
    /// The istiod Deployment in istio-system; its discovery container carries ISTIO_MULTIROOT_MESH when
    /// <paramref name="multiRootMesh"/> is set (the rotation preflight reads it).
    /// </summary>
    /// <param name="version">The istiod release (image tag docker.io/istio/pilot:VERSION): it picks the cacerts reload rule.</param>
    /// <param name="extraEnv">More pilot env, e.g. PILOT_ENABLE_CA_CRL.</param>
    /// <param name="proxyConfigXdsAgent">When set, the mesh config ConfigMap istio-system/istio gets
    /// defaultConfig.proxyMetadata.PROXY_CONFIG_XDS_AGENT (PCDS for every injected proxy), as article 003 sets it.</param>
    /// <param name="layout">Upstream Istio (default) or the AKS add-on (<see cref="IstioLayout.AksAddOn"/>): the add-on's istiod
    /// runs MCR's pilot image and mounts /etc/cacerts from the CSI volume of its SecretProviderClass.</param>
    public static JsonObject SeedIstiod(this KubeObjectStore store, bool? multiRootMesh = null, string version = "1.26.2", IReadOnlyDictionary<string, string>? extraEnv = null, bool? proxyConfigXdsAgent = null, IstioLayout? layout = null)
    {
        var at = layout ?? IstioLayout.Upstream;
        store.EnsureNamespace(at.Namespace);
        if (proxyConfigXdsAgent is { } pcds)
        {
            store.PutConfigMap(at.Namespace, at.MeshConfigMap, new Dictionary<string, string>
            {
                [IstioNames.MeshConfigKey] = $"defaultConfig:\n  proxyMetadata:\n    {IstioNames.PcdsEnv}: \"{(pcds ? "true" : "false")}\"\n",
            });
        }

        var env = new JsonArray();
        if (multiRootMesh is { } multiRoot)
        {
            env.Add(new JsonObject { ["name"] = IstioNames.MultiRootEnv, ["value"] = multiRoot ? "true" : "false" });
        }

        foreach (var (name, value) in extraEnv ?? new Dictionary<string, string>())
        {
            env.Add(new JsonObject { ["name"] = name, ["value"] = value });
        }

        var deployment = Deployment(at.Namespace, at.IstiodDeployment, 1, new JsonObject
        {
            ["name"] = IstioNames.IstiodContainer,
            ["image"] = (at.Revision is null ? "docker.io/istio/pilot:" : "mcr.microsoft.com/oss/istio/pilot:") + version,
            ["env"] = env,
        });
        if (at.SecretProviderClass is { } spc)
        {
            // The add-on's istiod: revision label, and /etc/cacerts from the Secrets Store CSI driver (volume "cacerts",
            // as the kubelet event in the add-on's troubleshooting article names it).
            var template = deployment["spec"]!["template"]!;
            template["metadata"]!["labels"]!["istio.io/rev"] = at.Revision;
            template["spec"]!["volumes"] = new JsonArray(new JsonObject
            {
                ["name"] = "cacerts",
                ["csi"] = new JsonObject
                {
                    ["driver"] = CsiSecretsStoreDriver.DriverName,
                    ["readOnly"] = true,
                    ["volumeAttributes"] = new JsonObject { ["secretProviderClass"] = spc },
                },
            });
        }

        return store.Put(ResourceKinds.Deployments, deployment);
    }

    /// <summary>The plug-in CA secret istio-system/cacerts.</summary>
    public static JsonObject PutIstioCaCerts(this KubeObjectStore store, CertificateWithKey ca, IEnumerable<Certificate> chainAboveCa, IEnumerable<Certificate> roots)
    {
        var chain = chainAboveCa.ToList();
        return store.PutSecret(IstioNames.Namespace, IstioNames.CaSecret, new Dictionary<string, string>
        {
            [IstioNames.CaCertKey] = ca.Certificate.ToPem(),
            [IstioNames.CaKeyKey] = ca.Key.ToPkcs8Pem(),
            [IstioNames.CertChainKey] = Pem.WriteCertificates(new[] { ca.Certificate }.Concat(chain)),
            [IstioNames.RootCertKey] = Pem.WriteCertificates(roots),
        });
    }

    /// <summary>Linkerd's trust roots ConfigMap and issuer secret in the linkerd namespace.</summary>
    public static void SeedLinkerd(this KubeObjectStore store, IEnumerable<Certificate> trustRoots, CertificateWithKey issuer)
    {
        var roots = Pem.WriteCertificates(trustRoots);
        store.PutConfigMap(LinkerdNames.Namespace, LinkerdNames.TrustRootsConfigMap, new Dictionary<string, string> { [LinkerdNames.TrustRootsKey] = roots });
        store.PutSecret(LinkerdNames.Namespace, LinkerdNames.IssuerSecret, new Dictionary<string, string>
        {
            ["tls.crt"] = issuer.Certificate.ToPem(),
            ["tls.key"] = issuer.Key.ToPkcs8Pem(),
            ["ca.crt"] = roots,
        }, "kubernetes.io/tls");
    }

    /// <summary>
    /// Linkerd's control plane Deployments as the chart renders them (linkerd/linkerd2 b24cd405,
    /// charts/linkerd-control-plane/templates/identity.yaml and charts/partials/templates/_proxy.tpl): not injected,
    /// each with a linkerd-proxy whose LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS is `valueFrom: configMapKeyRef` on
    /// linkerd-identity-trust-roots; linkerd-identity runs with -identity-scheme and -identity-issuance-lifetime.
    /// </summary>
    public static void SeedLinkerdControlPlane(this KubeObjectStore store, string scheme = "kubernetes.io/tls", string issuanceLifetime = "24h0m0s", int identityReplicas = 1)
    {
        store.EnsureNamespace(LinkerdNames.Namespace);
        foreach (var name in new[] { "linkerd-identity", "linkerd-destination", "linkerd-proxy-injector" })
        {
            var main = new JsonObject { ["name"] = name["linkerd-".Length..], ["image"] = $"cr.l5d.io/linkerd/controller:simulated" };
            if (name == "linkerd-identity")
            {
                main["args"] = new JsonArray("identity", "-log-level=info", $"-identity-scheme={scheme}", "-identity-trust-domain=cluster.local", $"-identity-issuance-lifetime={issuanceLifetime}");
            }

            var proxy = new JsonObject
            {
                ["name"] = LinkerdNames.ProxyContainer,
                ["image"] = "cr.l5d.io/linkerd/proxy:simulated",
                ["env"] = new JsonArray(new JsonObject
                {
                    ["name"] = LinkerdNames.TrustAnchorsEnv,
                    ["valueFrom"] = new JsonObject { ["configMapKeyRef"] = new JsonObject { ["name"] = LinkerdNames.TrustRootsConfigMap, ["key"] = LinkerdNames.TrustRootsKey } },
                }),
            };
            var deployment = Deployment(LinkerdNames.Namespace, name, name == "linkerd-identity" ? identityReplicas : 1, main);
            deployment["spec"]!["template"]!["metadata"]!["labels"]![LinkerdNames.ControlPlaneNamespaceLabel] = LinkerdNames.Namespace;
            ((JsonArray)deployment["spec"]!["template"]!["spec"]!["containers"]!).Add(proxy);
            store.Put(ResourceKinds.Deployments, deployment);
        }
    }

    /// <summary>A workload Deployment; meshed ones carry linkerd.io/inject=enabled on their pod template.</summary>
    public static JsonObject PutWorkload(this KubeObjectStore store, string @namespace, string name, int replicas = 1, bool linkerdMeshed = false)
    {
        store.EnsureNamespace(@namespace);
        var deployment = Deployment(@namespace, name, replicas, new JsonObject { ["name"] = "app", ["image"] = "example/app:1" });
        if (linkerdMeshed)
        {
            deployment["spec"]!["template"]!["metadata"]!["annotations"] = new JsonObject { [LinkerdNames.InjectAnnotation] = "enabled" };
        }

        return store.Put(ResourceKinds.Deployments, deployment);
    }

    /// <summary>A CA issuer secret as cert-manager reads it: tls.crt = CA then chain, tls.key = PKCS#8, ca.crt = roots.</summary>
    public static JsonObject PutCaSecret(this KubeObjectStore store, string @namespace, string name, CertificateWithKey ca, IEnumerable<Certificate> chainAboveCa, IEnumerable<Certificate> roots) =>
        store.PutSecret(@namespace, name, new Dictionary<string, string>
        {
            ["tls.crt"] = Pem.WriteCertificates(new[] { ca.Certificate }.Concat(chainAboveCa)),
            ["tls.key"] = ca.Key.ToPkcs8Pem(),
            ["ca.crt"] = Pem.WriteCertificates(roots),
        }, "kubernetes.io/tls");

    public static JsonObject PutCaIssuer(this KubeObjectStore store, string? @namespace, string name, string secretName)
    {
        var kind = @namespace is null ? ResourceKinds.ClusterIssuers : ResourceKinds.Issuers;
        if (@namespace is not null)
        {
            store.EnsureNamespace(@namespace);
        }

        var issuer = KubeObjects.New(kind, @namespace, name);
        issuer["spec"] = new JsonObject { ["ca"] = new JsonObject { ["secretName"] = secretName } };
        return store.Put(kind, issuer);
    }

    public static JsonObject PutCertificate(this KubeObjectStore store, string @namespace, string name, string secretName, string issuerName, string issuerKind = "Issuer", IReadOnlyList<string>? dnsNames = null, bool isCa = false, string? duration = null)
    {
        store.EnsureNamespace(@namespace);
        var certificate = KubeObjects.New(ResourceKinds.Certificates, @namespace, name);
        var spec = new JsonObject
        {
            ["secretName"] = secretName,
            ["issuerRef"] = new JsonObject { ["name"] = issuerName, ["kind"] = issuerKind, ["group"] = "cert-manager.io" },
            ["dnsNames"] = new JsonArray((dnsNames ?? [$"{name}.{@namespace}.svc"]).Select(d => (JsonNode?)d).ToArray()),
        };
        if (isCa)
        {
            spec["isCA"] = true;
            spec["commonName"] = name;
        }

        if (duration is not null)
        {
            spec["duration"] = duration;
        }

        certificate["spec"] = spec;
        return store.Put(ResourceKinds.Certificates, certificate);
    }

    /// <summary>A trust-manager Bundle from ConfigMap sources (name, key) in the trust namespace.</summary>
    public static JsonObject PutBundle(this KubeObjectStore store, string name, IEnumerable<(string ConfigMap, string Key)> sources, string targetKey, IReadOnlyDictionary<string, string>? namespaceMatchLabels = null)
    {
        var bundle = KubeObjects.New(ResourceKinds.Bundles, null, name);
        var target = new JsonObject { ["configMap"] = new JsonObject { ["key"] = targetKey } };
        if (namespaceMatchLabels is not null)
        {
            target["namespaceSelector"] = new JsonObject { ["matchLabels"] = KubeObjects.StringData(namespaceMatchLabels) };
        }

        bundle["spec"] = new JsonObject
        {
            ["sources"] = new JsonArray(sources.Select(s => (JsonNode?)new JsonObject { ["configMap"] = new JsonObject { ["name"] = s.ConfigMap, ["key"] = s.Key } }).ToArray()),
            ["target"] = target,
        };
        return store.Put(ResourceKinds.Bundles, bundle);
    }

    /// <summary>A Deployment, StatefulSet or DaemonSet whose pod template opts in to Linkerd injection.</summary>
    public static JsonObject PutMeshedWorkload(this KubeObjectStore store, ResourceKind kind, string @namespace, string name, int replicas = 1)
    {
        store.EnsureNamespace(@namespace);
        var workload = Deployment(@namespace, name, replicas, new JsonObject { ["name"] = "app", ["image"] = "example/app:1" }, kind);
        workload["spec"]!["template"]!["metadata"]!["annotations"] = new JsonObject { [LinkerdNames.InjectAnnotation] = "enabled" };
        return store.Put(kind, workload);
    }

    private static JsonObject Deployment(string @namespace, string name, int replicas, JsonObject container, ResourceKind? kind = null)
    {
        var deployment = KubeObjects.New(kind ?? ResourceKinds.Deployments, @namespace, name, new Dictionary<string, string> { ["app"] = name });
        deployment["spec"] = new JsonObject
        {
            ["replicas"] = replicas,
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = name } },
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = name } },
                ["spec"] = new JsonObject { ["containers"] = new JsonArray(container) },
            },
        };
        return deployment;
    }
}
