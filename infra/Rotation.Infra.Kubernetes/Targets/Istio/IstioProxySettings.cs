using k8s.Models;
using YamlDotNet.Serialization;

namespace Rotation.Infra.Kubernetes.Targets.Istio;

/// <summary>
/// What a sidecar's istio-agent runs with, read as upstream sets it. The injector renders the mesh config's
/// defaultConfig.proxyMetadata, merged with the pod's proxy.istio.io/config annotation, into the istio-proxy
/// container's env (istio/istio 86c9f01, pkg/kube/inject). The agent reads PROXY_CONFIG_XDS_AGENT from that env with
/// Go's ParseBool, default false (pilot/cmd/pilot-agent/options/options.go), and only then takes trust bundle pushes
/// over PCDS (pkg/istio-agent/xds_proxy.go → SecretManagerClient.UpdateConfigTrustBundle). istiod sends them only
/// with ISTIO_MULTIROOT_MESH on (pilot/pkg/xds/pcds.go, pcdsNeedsPush).
/// </summary>
public static class IstioProxySettings
{
    public const string PcdsEnv = "PROXY_CONFIG_XDS_AGENT";
    public const string ProxyContainer = "istio-proxy";
    public const string ProxyConfigAnnotation = "proxy.istio.io/config";

    /// <summary>Injected pods carry this label (pkg/kube/inject); the evidence LIST selects on it.</summary>
    public const string MeshedPodSelector = "security.istio.io/tlsMode=istio";

    /// <summary>A flag as found: its effective value, or null when it cannot be known (valueFrom), and what was found.</summary>
    public sealed record Setting(bool? Enabled, string Found);

    /// <summary>defaultConfig.proxyMetadata[<paramref name="key"/>] of the mesh config text (the ConfigMap's mesh key).</summary>
    public static Setting FromMeshConfig(string? meshYaml, string key)
    {
        if (string.IsNullOrWhiteSpace(meshYaml))
            return new Setting(false, $"mesh config has no defaultConfig.proxyMetadata.{key} (default false)");
        string? value;
        try
        {
            var root = new DeserializerBuilder().Build().Deserialize<Dictionary<object, object?>>(meshYaml);
            value = At(root, "defaultConfig", "proxyMetadata", key);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            return new Setting(null, $"mesh config is not readable YAML ({e.Message})");
        }

        return Described(value, $"mesh config defaultConfig.proxyMetadata.{key}");
    }

    /// <summary>The flag in a pod's istio-proxy container env (containers, or a native sidecar in initContainers).</summary>
    public static Setting FromPod(V1Pod pod, string key)
    {
        var proxy = (pod.Spec?.Containers ?? []).Concat(pod.Spec?.InitContainers ?? []).FirstOrDefault(c => c.Name == ProxyContainer);
        return proxy is null ? new Setting(false, "no istio-proxy container") : FromContainer(proxy, key, "istio-proxy env");
    }

    /// <summary>A Go-boolean env var of a container as the process inside sees it (default false).</summary>
    public static Setting FromContainer(V1Container container, string key, string where)
    {
        var env = container.Env?.LastOrDefault(e => e.Name == key);
        if (env?.ValueFrom is { } from)
        {
            var source = from.ConfigMapKeyRef is { } cm ? $"configMapKeyRef {cm.Name}/{cm.Key}"
                : from.SecretKeyRef is { } s ? $"secretKeyRef {s.Name}/{s.Key}"
                : from.FieldRef is { } f ? $"fieldRef {f.FieldPath}" : "a valueFrom source";
            return new Setting(null, $"{key} comes from valueFrom ({source}), which Rotation cannot evaluate");
        }

        return Described(env?.Value, $"{where} {key}");
    }

    private static Setting Described(string? value, string where)
    {
        if (value is null)
            return new Setting(false, $"{where} is not set (default false)");
        var parsed = GoBool.TryParse(value);
        return parsed is null
            ? new Setting(false, $"{where}=\"{value}\" is not a Go boolean, so the default false applies")
            : new Setting(parsed, $"{where}=\"{value}\"");
    }

    private static string? At(Dictionary<object, object?>? node, params string[] path)
    {
        object? current = node;
        foreach (var key in path)
        {
            if (current is not Dictionary<object, object?> map)
                return null;
            var hit = map.FirstOrDefault(kv => kv.Key?.ToString() == key);
            current = hit.Value;
        }

        return current?.ToString();
    }
}
