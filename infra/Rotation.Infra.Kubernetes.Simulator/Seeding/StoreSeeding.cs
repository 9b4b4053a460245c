using System.Globalization;
using System.Text.Json.Nodes;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Seeding;

/// <summary>Putting objects straight into the store, bypassing HTTP (so seeding does not show in the request log).</summary>
public static class StoreSeeding
{
    /// <summary>Creates or fully replaces an object, status included.</summary>
    public static JsonObject Put(this KubeObjectStore store, ResourceKind kind, JsonObject obj)
    {
        var name = KubeObjects.Name(obj) ?? throw new ArgumentException("the object needs metadata.name", nameof(obj));
        var ns = kind.Namespaced ? KubeObjects.Namespace(obj) ?? throw new ArgumentException("the object needs metadata.namespace", nameof(obj)) : null;
        return store.Upsert(kind, ns, name, current =>
        {
            var next = (JsonObject)obj.DeepClone();
            KubeObjects.Metadata(next).Remove("resourceVersion");
            return next;
        }, WriteScope.All).Object;
    }

    /// <summary>Creates the namespace when absent; returns it.</summary>
    public static JsonObject EnsureNamespace(this KubeObjectStore store, string name, IReadOnlyDictionary<string, string>? labels = null) =>
        store.TryGet(ResourceKinds.Namespaces, null, name)
        ?? store.Create(ResourceKinds.Namespaces, null, KubeObjects.New(ResourceKinds.Namespaces, null, name, labels), WriteScope.All);

    /// <summary>Creates <paramref name="count"/> namespaces named {prefix}0000, {prefix}0001, ...; returns their names.</summary>
    public static IReadOnlyList<string> CreateNamespaces(this KubeObjectStore store, int count, string prefix = "ns-", IReadOnlyDictionary<string, string>? labels = null)
    {
        var names = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var name = prefix + i.ToString("D4", CultureInfo.InvariantCulture);
            store.EnsureNamespace(name, labels);
            names.Add(name);
        }

        return names;
    }

    public static JsonObject PutSecret(this KubeObjectStore store, string @namespace, string name, IReadOnlyDictionary<string, string> data, string type = "Opaque")
    {
        store.EnsureNamespace(@namespace);
        var secret = KubeObjects.New(ResourceKinds.Secrets, @namespace, name);
        secret["type"] = type;
        secret["data"] = KubeObjects.SecretData(data);
        return store.Put(ResourceKinds.Secrets, secret);
    }

    public static JsonObject PutConfigMap(this KubeObjectStore store, string @namespace, string name, IReadOnlyDictionary<string, string> data, IReadOnlyDictionary<string, string>? labels = null)
    {
        store.EnsureNamespace(@namespace);
        var configMap = KubeObjects.New(ResourceKinds.ConfigMaps, @namespace, name, labels);
        configMap["data"] = KubeObjects.StringData(data);
        return store.Put(ResourceKinds.ConfigMaps, configMap);
    }
}
