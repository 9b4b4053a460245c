using System.Text.Json.Nodes;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Simulator.Controllers;

/// <summary>
/// trust-manager (cert-manager/trust-manager fc1b53dd, after v0.24.0) for trust.cert-manager.io/v1alpha1 Bundles:
/// sources (ConfigMap or Secret keys in the trust namespace, inLine PEM) are parsed as certificates, de-duplicated
/// by SHA-256 of the DER and ordered by that hash (pkg/util/cert_pool.go CertPool.Certificates/PEM), and written to
/// a ConfigMap and/or Secret named after the Bundle (spec.target.configMap/secret key), labelled
/// trust.cert-manager.io/bundle, in every namespace the namespaceSelector (matchLabels and matchExpressions)
/// selects, skipping Terminating namespaces and, when set, those outside --target-namespaces (pkg/bundle/bundle.go).
/// Targets are written one after another; the first failure stops the pass with Synced=False
/// (Sync{Kind}TargetFailed) and leaves the rest as they were. Synced carries the Bundle's generation, which an edit of
/// a source does not change, so Synced=True says nothing about the current source content.
/// Simplification: namespaces are visited in name order (upstream iterates a Go map: random order).
/// </summary>
public sealed class TrustManagerController : SimulatedMeshController
{
    public const string BundleLabel = "trust.cert-manager.io/bundle";
    private readonly string _trustNamespace;

    // Target ConfigMaps are named after their Bundle: only edits to those matter (someone overwrote a target).
    private HashSet<string> _bundleNames = new(StringComparer.Ordinal);

    private readonly IReadOnlyList<string> _targetNamespaces;

    public TrustManagerController(KubeObjectStore store, MeshControllerOptions? options = null, string trustNamespace = CertManagerNames.Namespace, IReadOnlyList<string>? targetNamespaces = null)
        : base(store, options)
    {
        _trustNamespace = trustNamespace;
        _targetNamespaces = targetNamespaces ?? [];
    }

    /// <summary>Called for each target write before it happens (namespace, kind): throw to make that write fail, as an API error would.</summary>
    public Action<string, string>? BeforeTargetWrite { get; set; }

    protected override bool IsRelevant(ObjectChangedEventArgs change) =>
        change.Kind == ResourceKinds.Bundles
        || change.Kind == ResourceKinds.Namespaces
        || ((change.Kind == ResourceKinds.ConfigMaps || change.Kind == ResourceKinds.Secrets) && change.Namespace == _trustNamespace)
        || ((change.Kind == ResourceKinds.ConfigMaps || change.Kind == ResourceKinds.Secrets) && change.Type != ObjectChangeType.Added && Volatile.Read(ref _bundleNames).Contains(change.Name));

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
        var configMapKey = KubeObjects.StringAt(bundle, "spec", "target", "configMap", "key");
        var secretKey = KubeObjects.StringAt(bundle, "spec", "target", "secret", "key");
        problem ??= configMapKey is null && secretKey is null ? "spec.target.configMap.key or spec.target.secret.key is required" : null;
        if (problem is not null)
        {
            SetSynced(bundle, false, "SourceNotFound", problem, now, generation);
            return;
        }

        var selector = NamespaceSelector(bundle["spec"]?["target"]?["namespaceSelector"] as JsonObject);
        foreach (var ns in Store.List(ResourceKinds.Namespaces).Items.OrderBy(n => KubeObjects.Name(n), StringComparer.Ordinal))
        {
            var nsName = KubeObjects.Name(ns)!;
            if (KubeObjects.StringAt(ns, "status", "phase") == "Terminating" || (_targetNamespaces.Count > 0 && !_targetNamespaces.Contains(nsName)))
            {
                continue;
            }

            var selected = selector.Matches(KubeObjects.Labels(ns));
            foreach (var (kind, key) in new[] { (ResourceKinds.ConfigMaps, configMapKey), (ResourceKinds.Secrets, secretKey) })
            {
                if (selected && key is not null)
                {
                    try
                    {
                        BeforeTargetWrite?.Invoke(nsName, kind.Kind);
                        WriteTarget(kind, nsName, name, key, content);
                    }
#pragma warning disable CA1031 // any failure of one target stops the pass, as ApplyTarget's error does upstream
                    catch (Exception e) when (e is not KubeApiException { Code: 404 or 409 })
#pragma warning restore CA1031
                    {
                        SetSynced(bundle, false, $"Sync{kind.Kind}TargetFailed", $"Failed to sync bundle {kind.Kind} to namespace \"{nsName}\": {e.Message}", now, generation);
                        return;
                    }
                }
                else if (Store.TryGet(kind, nsName, name) is { } stale && KubeObjects.Labels(stale).GetValueOrDefault(BundleLabel) == name)
                {
                    Store.Delete(kind, nsName, name);
                }
            }
        }

        SetSynced(bundle, true, "Synced", "Successfully synced Bundle to all namespaces", now, generation);
    }

    private void WriteTarget(ResourceKind kind, string ns, string name, string key, string content) =>
        Store.Upsert(kind, ns, name, current =>
        {
            var target = current ?? KubeObjects.New(kind, ns, name);
            var labels = KubeObjects.Metadata(target)["labels"] as JsonObject ?? [];
            labels[BundleLabel] = name;
            KubeObjects.Metadata(target)["labels"] = labels.DeepClone();
            target["data"] = kind == ResourceKinds.Secrets
                ? KubeObjects.SecretData(new Dictionary<string, string> { [key] = content })
                : new JsonObject { [key] = content };
            return target;
        }, WriteScope.All);

    /// <summary>metav1.LabelSelector (matchLabels and matchExpressions: In, NotIn, Exists, DoesNotExist) as the API server's selector.</summary>
    private static Api.LabelSelector NamespaceSelector(JsonObject? selector)
    {
        var parts = new List<string>();
        foreach (var (key, value) in KubeObjects.StringMap(selector?["matchLabels"]))
        {
            parts.Add($"{key}={value}");
        }

        foreach (var expression in (selector?["matchExpressions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var key = KubeObjects.StringAt(expression, "key") ?? "";
            var values = string.Join(",", (expression["values"] as JsonArray ?? []).Select(v => v?.GetValue<string>()));
            parts.Add(KubeObjects.StringAt(expression, "operator") switch
            {
                "In" => $"{key} in ({values})",
                "NotIn" => $"{key} notin ({values})",
                "Exists" => key,
                "DoesNotExist" => $"!{key}",
                var op => throw new InvalidOperationException($"namespaceSelector operator '{op}' is not a metav1.LabelSelector operator"),
            });
        }

        return Api.LabelSelector.Parse(string.Join(",", parts));
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

        // pkg/util/cert_pool.go: keyed by sha256(DER), emitted in hash order, joined and trimmed.
        var certificates = new SortedDictionary<string, Rotation.Core.Pki.Certificate>(StringComparer.Ordinal);
        foreach (var block in blocks)
        {
            try
            {
                foreach (var certificate in Rotation.Core.Pki.Pem.ReadCertificates(block, $"Bundle {KubeObjects.Name(bundle)} source"))
                {
                    certificates[certificate.Sha256] = certificate;
                }
            }
            catch (Rotation.Core.Pki.PkiException e)
            {
                return ("", $"failed to parse a source of Bundle {KubeObjects.Name(bundle)}: {e.Message}");
            }
        }

        if (certificates.Count == 0)
        {
            return ("", "couldn't find any valid certificates in bundle");
        }

        return (string.Join("\n", certificates.Values.Select(c => c.ToPem().Trim())), null);
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
