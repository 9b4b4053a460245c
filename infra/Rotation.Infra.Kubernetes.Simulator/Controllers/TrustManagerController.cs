using System.Text;
using System.Text.Json.Nodes;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Controllers;

/// <summary>
/// trust-manager: each Bundle's sources (ConfigMap or Secret keys in the trust namespace, or inLine PEM) are
/// concatenated, duplicate PEM blocks dropped, and written after the propagation delay to a ConfigMap named after
/// the Bundle in every namespace its namespaceSelector selects; namespaces that stop matching lose the ConfigMap.
/// Status gets Synced=True with the observed generation, or Synced=False when a source is missing.
/// </summary>
public sealed class TrustManagerController : SimulatedMeshController
{
    public const string BundleLabel = "trust.cert-manager.io/bundle";
    private readonly string _trustNamespace;

    // Target ConfigMaps are named after their Bundle: only edits to those matter (someone overwrote a target).
    private HashSet<string> _bundleNames = new(StringComparer.Ordinal);

    public TrustManagerController(KubeObjectStore store, MeshControllerOptions? options = null, string trustNamespace = CertManagerNames.Namespace)
        : base(store, options)
    {
        _trustNamespace = trustNamespace;
    }

    protected override bool IsRelevant(ObjectChangedEventArgs change) =>
        change.Kind == ResourceKinds.Bundles
        || change.Kind == ResourceKinds.Namespaces
        || ((change.Kind == ResourceKinds.ConfigMaps || change.Kind == ResourceKinds.Secrets) && change.Namespace == _trustNamespace)
        || (change.Kind == ResourceKinds.ConfigMaps && change.Type != ObjectChangeType.Added && Volatile.Read(ref _bundleNames).Contains(change.Name));

    protected override void Reconcile()
    {
        var now = Time.GetUtcNow();
        var bundles = Store.List(ResourceKinds.Bundles).Items;
        Volatile.Write(ref _bundleNames, bundles.Select(b => KubeObjects.Name(b)!).ToHashSet(StringComparer.Ordinal));
        foreach (var bundle in bundles)
        {
            try
            {
                ReconcileBundle(bundle, now);
            }
            catch (KubeApiException e) when (e.Code is 404 or 409)
            {
                // Deleted or changed during the pass; the change wakes the next pass.
            }
        }
    }

    private void ReconcileBundle(JsonObject bundle, DateTimeOffset now)
    {
        var name = KubeObjects.Name(bundle)!;
        var generation = KubeObjects.Generation(bundle);
        var (content, problem) = Gather(bundle);
        var key = KubeObjects.StringAt(bundle, "spec", "target", "configMap", "key");
        problem ??= key is null ? "spec.target.configMap.key is required" : null;
        if (problem is not null)
        {
            SetSynced(bundle, false, "SourceNotFound", problem, now, generation);
            return;
        }

        var selector = KubeObjects.StringMap(bundle["spec"]?["target"]?["namespaceSelector"]?["matchLabels"]);
        foreach (var ns in Store.List(ResourceKinds.Namespaces).Items)
        {
            var nsName = KubeObjects.Name(ns)!;
            var labels = KubeObjects.Labels(ns);
            if (selector.All(s => labels.TryGetValue(s.Key, out var v) && v == s.Value))
            {
                Store.Upsert(ResourceKinds.ConfigMaps, nsName, name, current =>
                {
                    var configMap = current ?? KubeObjects.New(ResourceKinds.ConfigMaps, nsName, name);
                    var configMapLabels = KubeObjects.Metadata(configMap)["labels"] as JsonObject ?? [];
                    configMapLabels[BundleLabel] = name;
                    KubeObjects.Metadata(configMap)["labels"] = configMapLabels.DeepClone();
                    configMap["data"] = new JsonObject { [key!] = content };
                    return configMap;
                }, WriteScope.All);
            }
            else if (Store.TryGet(ResourceKinds.ConfigMaps, nsName, name) is { } stale && KubeObjects.Labels(stale).GetValueOrDefault(BundleLabel) == name)
            {
                Store.Delete(ResourceKinds.ConfigMaps, nsName, name);
            }
        }

        SetSynced(bundle, true, "Synced", "Successfully synced Bundle to all namespaces", now, generation);
    }

    private (string Content, string? Problem) Gather(JsonObject bundle)
    {
        var blocks = new List<string>();
        foreach (var source in (bundle["spec"]?["sources"] as JsonArray ?? []).OfType<JsonObject>())
        {
            string? text;
            if (source["inLine"] is JsonValue inline)
            {
                text = inline.GetValue<string>();
            }
            else if (source["configMap"] is JsonObject cmRef)
            {
                var cm = Store.TryGet(ResourceKinds.ConfigMaps, _trustNamespace, KubeObjects.StringAt(cmRef, "name") ?? "");
                text = cm is null ? null : KubeObjects.ConfigMapText(cm, KubeObjects.StringAt(cmRef, "key") ?? "");
                if (text is null)
                {
                    return ("", $"ConfigMap {_trustNamespace}/{KubeObjects.StringAt(cmRef, "name")} key {KubeObjects.StringAt(cmRef, "key")} not found");
                }
            }
            else if (source["secret"] is JsonObject secretRef)
            {
                var secret = Store.TryGet(ResourceKinds.Secrets, _trustNamespace, KubeObjects.StringAt(secretRef, "name") ?? "");
                text = secret is null ? null : KubeObjects.SecretText(secret, KubeObjects.StringAt(secretRef, "key") ?? "");
                if (text is null)
                {
                    return ("", $"Secret {_trustNamespace}/{KubeObjects.StringAt(secretRef, "name")} key {KubeObjects.StringAt(secretRef, "key")} not found");
                }
            }
            else
            {
                // useDefaultCAs and other sources carry no mesh roots in the simulation.
                continue;
            }

            blocks.AddRange(PemBlocks(text));
        }

        var content = new StringBuilder();
        foreach (var block in blocks.Distinct(StringComparer.Ordinal))
        {
            content.Append(block).Append('\n');
        }

        return (content.ToString(), null);
    }

    /// <summary>The PEM blocks in <paramref name="text"/>, each trimmed; text that has no blocks is kept whole.</summary>
    private static IEnumerable<string> PemBlocks(string text)
    {
        const string end = "-----END ";
        var blocks = new List<string>();
        var rest = text;
        while (true)
        {
            var start = rest.IndexOf("-----BEGIN ", StringComparison.Ordinal);
            var stop = start < 0 ? -1 : rest.IndexOf(end, start, StringComparison.Ordinal);
            var close = stop < 0 ? -1 : rest.IndexOf("-----", stop + end.Length, StringComparison.Ordinal);
            if (close < 0)
            {
                break;
            }

            blocks.Add(rest[start..(close + 5)]);
            rest = rest[(close + 5)..];
        }

        return blocks.Count > 0 ? blocks : [text.Trim()];
    }

    private void SetSynced(JsonObject bundle, bool synced, string reason, string message, DateTimeOffset now, long generation) =>
        Store.Modify(ResourceKinds.Bundles, null, KubeObjects.Name(bundle)!, current =>
        {
            Conditions.Set(current, "Synced", synced, reason, message, now, generation);
            return current;
        }, WriteScope.Status);
}
