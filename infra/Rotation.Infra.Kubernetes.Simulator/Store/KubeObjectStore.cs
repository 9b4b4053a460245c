using System.Globalization;
using System.Text.Json.Nodes;

namespace Rotation.Infra.Kubernetes.Simulator.Store;

/// <summary>
/// The cluster state: every object of every served kind, keyed by namespace and name, with one global
/// resource version counter like etcd's revision. All reads and writes hand out copies, so callers can't
/// change stored state behind the lock.
/// </summary>
public sealed class KubeObjectStore
{
    private readonly object _gate = new();
    private readonly Dictionary<ResourceKind, SortedDictionary<string, JsonObject>> _objects = [];
    private readonly List<(ResourceKind Kind, Action<JsonObject> Mutate)> _admission = [];
    private readonly TimeProvider _time;
    private long _resourceVersion;

    public KubeObjectStore(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        foreach (var kind in ResourceKinds.All)
        {
            _objects[kind] = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        }
    }

    /// <summary>Raised after every committed change, outside the store's lock.</summary>
    public event EventHandler<ObjectChangedEventArgs>? Changed;

    public string CurrentResourceVersion
    {
        get
        {
            lock (_gate)
            {
                return _resourceVersion.ToString(CultureInfo.InvariantCulture);
            }
        }
    }

    /// <summary>
    /// A mutating admission hook run on every create of <paramref name="kind"/> (like a mutating webhook).
    /// It runs under the store's lock, so it may read the store but must be quick. Dispose to unregister.
    /// </summary>
    public IDisposable AddAdmissionMutator(ResourceKind kind, Action<JsonObject> mutate)
    {
        var entry = (kind, mutate);
        lock (_gate)
        {
            _admission.Add(entry);
        }

        return new Registration(() =>
        {
            lock (_gate)
            {
                _admission.Remove(entry);
            }
        });
    }

    public JsonObject? TryGet(ResourceKind kind, string? @namespace, string name)
    {
        lock (_gate)
        {
            return _objects[kind].TryGetValue(Key(kind, @namespace, name), out var found) ? (JsonObject)found.DeepClone() : null;
        }
    }

    public JsonObject Get(ResourceKind kind, string? @namespace, string name) =>
        TryGet(kind, @namespace, name) ?? throw KubeApiException.NotFound(kind, name);

    /// <summary>Objects ordered by namespace then name; all namespaces when <paramref name="namespace"/> is null.</summary>
    public StoreListResult List(ResourceKind kind, string? @namespace = null, Func<JsonObject, bool>? filter = null)
    {
        lock (_gate)
        {
            var items = new List<JsonObject>();
            var prefix = kind.Namespaced && @namespace is not null ? @namespace + "/" : null;
            foreach (var (key, obj) in _objects[kind])
            {
                if (prefix is not null && !key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    continue;
                }

                if (filter is null || filter(obj))
                {
                    items.Add((JsonObject)obj.DeepClone());
                }
            }

            return new StoreListResult(items, _resourceVersion.ToString(CultureInfo.InvariantCulture));
        }
    }

    public int Count(ResourceKind kind)
    {
        lock (_gate)
        {
            return _objects[kind].Count;
        }
    }

    public JsonObject Create(ResourceKind kind, string? @namespace, JsonObject obj, WriteScope scope = WriteScope.Main, bool dryRun = false)
    {
        ObjectChangedEventArgs? change;
        JsonObject result;
        lock (_gate)
        {
            (result, change) = CreateLocked(kind, @namespace, (JsonObject)obj.DeepClone(), scope, dryRun);
        }

        Raise(change);
        return result;
    }

    /// <summary>A full replacement (PUT). A set, stale metadata.resourceVersion is a Conflict.</summary>
    public JsonObject Replace(ResourceKind kind, string? @namespace, string name, JsonObject obj, WriteScope scope = WriteScope.Main, bool dryRun = false) =>
        Modify(kind, @namespace, name, _ => (JsonObject)obj.DeepClone(), scope, dryRun);

    /// <summary>
    /// An atomic read-modify-write: <paramref name="build"/> gets a copy of the current object and returns the
    /// object to store (patches). Runs under the store's lock.
    /// </summary>
    public JsonObject Modify(ResourceKind kind, string? @namespace, string name, Func<JsonObject, JsonObject> build, WriteScope scope = WriteScope.Main, bool dryRun = false)
    {
        ObjectChangedEventArgs? change;
        JsonObject result;
        lock (_gate)
        {
            var key = Key(kind, @namespace, name);
            if (!_objects[kind].TryGetValue(key, out var current))
            {
                throw KubeApiException.NotFound(kind, name);
            }

            var incoming = build((JsonObject)current.DeepClone());
            (result, change) = ReplaceLocked(kind, key, name, current, incoming, scope, dryRun);
        }

        Raise(change);
        return result;
    }

    /// <summary>Create when absent, otherwise a read-modify-write (server-side apply, controllers' upserts).</summary>
    public (JsonObject Object, bool Created) Upsert(ResourceKind kind, string? @namespace, string name, Func<JsonObject?, JsonObject> build, WriteScope scope = WriteScope.Main, bool dryRun = false)
    {
        ObjectChangedEventArgs? change;
        JsonObject result;
        bool created;
        lock (_gate)
        {
            var key = Key(kind, @namespace, name);
            if (_objects[kind].TryGetValue(key, out var current))
            {
                var incoming = build((JsonObject)current.DeepClone());
                (result, change) = ReplaceLocked(kind, key, name, current, incoming, scope, dryRun);
                created = false;
            }
            else
            {
                var incoming = build(null);
                (result, change) = CreateLocked(kind, @namespace, incoming, scope, dryRun);
                created = true;
            }
        }

        Raise(change);
        return (result, created);
    }

    /// <summary>Deletes and returns the object; deleting a namespace deletes everything in it.</summary>
    /// <param name="expectedResourceVersion">A DeleteOptions precondition: Conflict unless the object is at this version.</param>
    /// <param name="expectedUid">A DeleteOptions precondition: Conflict unless the object has this uid.</param>
    public JsonObject Delete(ResourceKind kind, string? @namespace, string name, bool dryRun = false, string? expectedResourceVersion = null, string? expectedUid = null)
    {
        var changes = new List<ObjectChangedEventArgs>();
        JsonObject deleted;
        lock (_gate)
        {
            var key = Key(kind, @namespace, name);
            if (!_objects[kind].TryGetValue(key, out var current))
            {
                throw KubeApiException.NotFound(kind, name);
            }

            if ((expectedResourceVersion is not null && expectedResourceVersion != KubeObjects.ResourceVersion(current))
                || (expectedUid is not null && expectedUid != KubeObjects.StringAt(current, "metadata", "uid")))
            {
                throw new KubeApiException(409, "Conflict", $"Operation cannot be fulfilled on {kind} \"{name}\": the precondition (resourceVersion or uid) does not match the object", kind, name);
            }

            deleted = (JsonObject)current.DeepClone();
            if (dryRun)
            {
                return deleted;
            }

            if (kind == ResourceKinds.Namespaces)
            {
                foreach (var namespacedKind in ResourceKinds.All.Where(k => k.Namespaced))
                {
                    var map = _objects[namespacedKind];
                    foreach (var childKey in map.Keys.Where(k => k.StartsWith(name + "/", StringComparison.Ordinal)).ToList())
                    {
                        var childName = childKey[(name.Length + 1)..];
                        var child = (JsonObject)map[childKey].DeepClone();
                        map.Remove(childKey);
                        changes.Add(new ObjectChangedEventArgs(namespacedKind, name, childName, ObjectChangeType.Deleted, NextResourceVersion()) { Object = child });
                    }
                }
            }

            _objects[kind].Remove(key);
            changes.Add(new ObjectChangedEventArgs(kind, @namespace, name, ObjectChangeType.Deleted, NextResourceVersion()) { Object = (JsonObject)deleted.DeepClone() });
        }

        foreach (var change in changes)
        {
            Raise(change);
        }

        return deleted;
    }

    private (JsonObject Result, ObjectChangedEventArgs? Change) CreateLocked(ResourceKind kind, string? @namespace, JsonObject obj, WriteScope scope, bool dryRun)
    {
        var metadata = KubeObjects.Metadata(obj);
        var name = KubeObjects.Name(obj);
        if (string.IsNullOrEmpty(name))
        {
            var generateName = KubeObjects.StringAt(metadata, "generateName");
            if (string.IsNullOrEmpty(generateName))
            {
                throw KubeApiException.Invalid(kind, "", "metadata.name: Required value: name or generateName is required");
            }

            name = generateName + RandomSuffix();
            metadata["name"] = name;
        }

        ObjectRules.ValidateName(kind, name);
        var ns = ResolveNamespace(kind, @namespace, obj, name);
        if (kind.Namespaced && !_objects[ResourceKinds.Namespaces].ContainsKey(Key(ResourceKinds.Namespaces, null, ns!)))
        {
            throw KubeApiException.NotFound(ResourceKinds.Namespaces, ns!);
        }

        var key = Key(kind, ns, name);
        if (_objects[kind].ContainsKey(key))
        {
            throw KubeApiException.AlreadyExists(kind, name);
        }

        if (!string.IsNullOrEmpty(KubeObjects.ResourceVersion(obj)))
        {
            throw new KubeApiException(500, "InternalError", "resourceVersion should not be set on objects to be created");
        }

        if (kind.HasStatusSubresource && scope != WriteScope.All)
        {
            obj.Remove("status");
        }

        ObjectRules.Normalize(kind, obj, name);
        metadata["uid"] = Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = KubeObjects.Timestamp(_time.GetUtcNow());
        metadata["generation"] = 1L;
        ObjectRules.ApplyDefaults(kind, obj);
        foreach (var (admissionKind, mutate) in _admission.ToList())
        {
            if (admissionKind == kind)
            {
                mutate(obj);
            }
        }

        if (dryRun)
        {
            metadata["resourceVersion"] = _resourceVersion.ToString(CultureInfo.InvariantCulture);
            return (obj, null);
        }

        var version = NextResourceVersion();
        metadata["resourceVersion"] = version;
        _objects[kind][key] = obj;
        return ((JsonObject)obj.DeepClone(), new ObjectChangedEventArgs(kind, ns, name, ObjectChangeType.Added, version) { Object = (JsonObject)obj.DeepClone() });
    }

    private (JsonObject Result, ObjectChangedEventArgs? Change) ReplaceLocked(ResourceKind kind, string key, string name, JsonObject current, JsonObject incoming, WriteScope scope, bool dryRun)
    {
        var incomingVersion = KubeObjects.ResourceVersion(incoming);
        if (!string.IsNullOrEmpty(incomingVersion) && incomingVersion != KubeObjects.ResourceVersion(current))
        {
            throw KubeApiException.Conflict(kind, name);
        }

        var incomingName = KubeObjects.Name(incoming);
        if (!string.IsNullOrEmpty(incomingName) && incomingName != name)
        {
            throw KubeApiException.BadRequest($"the name of the object ({incomingName}) does not match the name on the URL ({name})");
        }

        var currentNamespace = KubeObjects.Namespace(current);
        var incomingNamespace = KubeObjects.Namespace(incoming);
        if (kind.Namespaced && !string.IsNullOrEmpty(incomingNamespace) && incomingNamespace != currentNamespace)
        {
            throw KubeApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        JsonObject next;
        if (scope == WriteScope.Status)
        {
            next = (JsonObject)current.DeepClone();
            SetOrRemove(next, "status", incoming["status"]);
        }
        else
        {
            next = incoming;
            if (kind.HasStatusSubresource && scope == WriteScope.Main)
            {
                SetOrRemove(next, "status", current["status"]);
            }

            var metadata = KubeObjects.Metadata(next);
            var currentMetadata = KubeObjects.Metadata(current);
            foreach (var immutable in new[] { "uid", "creationTimestamp", "generation" })
            {
                SetOrRemove(metadata, immutable, currentMetadata[immutable]);
            }

            metadata["name"] = name;
            if (kind.Namespaced)
            {
                metadata["namespace"] = currentNamespace;
            }
            else
            {
                metadata.Remove("namespace");
            }

            ObjectRules.Normalize(kind, next, name);
        }

        KubeObjects.Metadata(next)["resourceVersion"] = KubeObjects.ResourceVersion(current);
        if (JsonNode.DeepEquals(next, current))
        {
            // Like the real API server, a write that changes nothing does not bump the resource version.
            return ((JsonObject)current.DeepClone(), null);
        }

        if (SpecChanged(current, next))
        {
            KubeObjects.Metadata(next)["generation"] = KubeObjects.Generation(current) + 1;
        }

        if (dryRun)
        {
            return (next, null);
        }

        var version = NextResourceVersion();
        KubeObjects.Metadata(next)["resourceVersion"] = version;
        _objects[kind][key] = next;
        return ((JsonObject)next.DeepClone(), new ObjectChangedEventArgs(kind, KubeObjects.Namespace(next), name, ObjectChangeType.Modified, version) { Object = (JsonObject)next.DeepClone() });
    }

    private static bool SpecChanged(JsonObject before, JsonObject after)
    {
        var a = (JsonObject)before.DeepClone();
        var b = (JsonObject)after.DeepClone();
        foreach (var o in new[] { a, b })
        {
            o.Remove("metadata");
            o.Remove("status");
        }

        return !JsonNode.DeepEquals(a, b);
    }

    private static string? ResolveNamespace(ResourceKind kind, string? urlNamespace, JsonObject obj, string name)
    {
        var metadata = KubeObjects.Metadata(obj);
        if (!kind.Namespaced)
        {
            metadata.Remove("namespace");
            return null;
        }

        var bodyNamespace = KubeObjects.Namespace(obj);
        if (!string.IsNullOrEmpty(bodyNamespace) && urlNamespace is not null && bodyNamespace != urlNamespace)
        {
            throw KubeApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        var ns = urlNamespace ?? bodyNamespace;
        if (string.IsNullOrEmpty(ns))
        {
            throw KubeApiException.Invalid(kind, name, "metadata.namespace: Required value");
        }

        metadata["namespace"] = ns;
        return ns;
    }

    private static void SetOrRemove(JsonObject target, string property, JsonNode? value)
    {
        if (value is null)
        {
            target.Remove(property);
        }
        else
        {
            target[property] = value.DeepClone();
        }
    }

    private string NextResourceVersion() => (++_resourceVersion).ToString(CultureInfo.InvariantCulture);

    private void Raise(ObjectChangedEventArgs? change)
    {
        if (change is not null)
        {
            Changed?.Invoke(this, change);
        }
    }

    private static string Key(ResourceKind kind, string? @namespace, string name) =>
        kind.Namespaced ? $"{@namespace}/{name}" : name;

    private static string RandomSuffix()
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return string.Create(5, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = alphabet[System.Security.Cryptography.RandomNumberGenerator.GetInt32(alphabet.Length)];
            }
        });
    }

    private sealed class Registration(Action dispose) : IDisposable
    {
        private Action? _dispose = dispose;

        public void Dispose() => Interlocked.Exchange(ref _dispose, null)?.Invoke();
    }
}
