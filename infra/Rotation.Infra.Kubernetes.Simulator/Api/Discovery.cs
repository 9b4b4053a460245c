using System.Text.Json.Nodes;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Api;

/// <summary>The discovery documents clients read before they talk to resources: /version, /api, /apis, group versions.</summary>
public static class Discovery
{
    public const string GitVersion = "v1.31.0-rotation-sim";

    /// <summary>The document for a non-resource or group path, or null when the path is not discovery.</summary>
    public static JsonObject? For(ApiRequestInfo request)
    {
        var path = request.Path.TrimEnd('/');
        return path switch
        {
            "/version" => new JsonObject
            {
                ["major"] = "1",
                ["minor"] = "31",
                ["gitVersion"] = GitVersion,
                ["gitCommit"] = "0000000000000000000000000000000000000000",
                ["gitTreeState"] = "clean",
                ["buildDate"] = "2026-01-01T00:00:00Z",
                ["goVersion"] = "go1.22.0",
                ["compiler"] = "gc",
                ["platform"] = "linux/amd64",
            },
            "/api" => new JsonObject
            {
                ["kind"] = "APIVersions",
                ["versions"] = new JsonArray("v1"),
                ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = "127.0.0.1" }),
            },
            "/apis" => GroupList(),
            "/healthz" or "/readyz" or "/livez" => null,
            _ when request.Resource.Length == 0 && request.Version.Length > 0 => ResourceList(request.Group, request.Version),
            _ => null,
        };
    }

    private static JsonObject GroupList()
    {
        var groups = new JsonArray();
        foreach (var group in ResourceKinds.Groups)
        {
            var versions = new JsonArray();
            foreach (var version in ResourceKinds.All.Where(k => k.Group == group).Select(k => k.Version).Distinct())
            {
                versions.Add(new JsonObject { ["groupVersion"] = $"{group}/{version}", ["version"] = version });
            }

            groups.Add(new JsonObject
            {
                ["name"] = group,
                ["versions"] = versions,
                ["preferredVersion"] = versions[0]!.DeepClone(),
            });
        }

        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    private static JsonObject? ResourceList(string group, string version)
    {
        var kinds = ResourceKinds.All.Where(k => k.Group == group && k.Version == version).ToList();
        if (kinds.Count == 0)
        {
            return null;
        }

        var resources = new JsonArray();
        foreach (var kind in kinds)
        {
            resources.Add(new JsonObject
            {
                ["name"] = kind.Plural,
                ["singularName"] = kind.Singular,
                ["namespaced"] = kind.Namespaced,
                ["kind"] = kind.Kind,
                ["verbs"] = new JsonArray("create", "delete", "deletecollection", "get", "list", "patch", "update"),
            });
            if (kind.HasStatusSubresource)
            {
                resources.Add(new JsonObject
                {
                    ["name"] = kind.Plural + "/status",
                    ["singularName"] = "",
                    ["namespaced"] = kind.Namespaced,
                    ["kind"] = kind.Kind,
                    ["verbs"] = new JsonArray("get", "patch", "update"),
                });
            }
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = resources,
        };
    }
}
