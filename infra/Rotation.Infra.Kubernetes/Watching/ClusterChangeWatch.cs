using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Rotation.Core.Ports;

namespace Rotation.Infra.Kubernetes.Watching;

/// <summary>
/// Watches the objects a cluster's gates read and raises <see cref="Signal"/> on every change, so a holding gate looks
/// again at once: ConfigMaps, Secrets, pods and Deployments in every namespace, and the custom resources the
/// trust-manager and cert-manager targets read (Bundles, ClusterBundles, Certificates, CertificateRequests). Each kind
/// runs the reflector's loop (kubernetes/kubernetes 2b02db1be88b09193d96585c4b6dd796d6b2e06c,
/// staging/src/k8s.io/client-go/tools/cache/reflector.go ListAndWatch): list to learn a resourceVersion, watch from it
/// with bookmarks, resume from the last version seen when the stream ends, and list again on 410 Expired ("too old
/// resource version"). Every watch is bounded by <see cref="KubernetesAdapterOptions.WatchFallback"/> (timeoutSeconds,
/// and a client-side deadline for a stream that dies silently), and each re-list raises the signal: a lost watch costs
/// at most that long. A kind the cluster does not serve (404: cert-manager or trust-manager not installed) stops its
/// loop; one that cannot be listed (403, unreachable) is retried with a pause that doubles up to the fallback, so a
/// missing RBAC rule costs one request a minute, not one a second.
/// </summary>
public sealed class ClusterChangeWatch : IAsyncDisposable
{
    private readonly IKubernetes _client;
    private readonly TimeSpan _fallback;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _notServed = new(StringComparer.Ordinal);

    public ClusterChangeWatch(IKubernetes client, TimeSpan fallback, TimeProvider time)
    {
        _client = client;
        _fallback = fallback;
        _time = time;
    }

    public ChangeSignal Signal { get; } = new();

    /// <summary>The kinds watched, by resource name ("configmaps", "bundles.trust.cert-manager.io", …).</summary>
    public IReadOnlyList<string> Kinds => [.. WatchedKinds().Select(k => k.Name)];

    /// <summary>Kinds whose list came back 404 (the cluster does not serve them); their loops have stopped.</summary>
    public IReadOnlyCollection<string> NotServed => [.. _notServed.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Lists done (first ones and after 410 or an error); for tests and diagnostics.</summary>
    public int Relists => Volatile.Read(ref _relists);

    /// <summary>Watches resumed from a resourceVersion after a stream ended.</summary>
    public int Resumes => Volatile.Read(ref _resumes);

    /// <summary>The last error that made a loop list again (type and message), for diagnostics.</summary>
    public string? LastError { get; private set; }

    private int _relists;
    private int _resumes;

    public void Start()
    {
        foreach (var kind in WatchedKinds())
        {
            _loops.Add(RunAsync(kind, _stopping.Token));
        }
    }

    /// <summary>One watched resource: how to list it (for a resourceVersion) and how to watch it from one.</summary>
    private sealed record WatchedKind(
        string Name,
        Func<CancellationToken, Task<string?>> List,
        Func<string, int, CancellationToken, IAsyncEnumerable<(WatchEventType Type, string? Version)>> Watch);

    private IEnumerable<WatchedKind> WatchedKinds()
    {
        var core = _client.CoreV1;
        yield return new("configmaps",
            async ct => (await core.ListConfigMapForAllNamespacesAsync(limit: 1, cancellationToken: ct)).Metadata.ResourceVersion,
            (rv, timeout, ct) => Versions(core.WatchListConfigMapForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, cancellationToken: ct)));
        yield return new("secrets",
            async ct => (await core.ListSecretForAllNamespacesAsync(limit: 1, cancellationToken: ct)).Metadata.ResourceVersion,
            (rv, timeout, ct) => Versions(core.WatchListSecretForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, cancellationToken: ct)));
        yield return new("pods",
            async ct => (await core.ListPodForAllNamespacesAsync(limit: 1, cancellationToken: ct)).Metadata.ResourceVersion,
            (rv, timeout, ct) => Versions(core.WatchListPodForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, cancellationToken: ct)));
        // Linkerd's gates read its control-plane rollout; the issuer write restarts nothing, but a rollout does.
        yield return new("deployments.apps",
            async ct => (await _client.AppsV1.ListDeploymentForAllNamespacesAsync(limit: 1, cancellationToken: ct)).Metadata.ResourceVersion,
            (rv, timeout, ct) => Versions(_client.AppsV1.WatchListDeploymentForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, cancellationToken: ct)));
        // trust-manager's bundle status and cert-manager's Certificates and requests: custom resources, served only
        // where those controllers are installed.
        yield return Custom("trust.cert-manager.io", "v1alpha1", "bundles");
        yield return Custom("trust-manager.io", "v1alpha2", "clusterbundles");
        yield return Custom("cert-manager.io", "v1", "certificates");
        yield return Custom("cert-manager.io", "v1", "certificaterequests");
    }

    /// <summary>A custom resource, listed and watched across the cluster (/apis/GROUP/VERSION/PLURAL, for namespaced and cluster-scoped kinds alike).</summary>
    private WatchedKind Custom(string group, string version, string plural) => new(
        $"{plural}.{group}",
        async ct => ResourceVersionOf(await _client.CustomObjects.ListCustomObjectForAllNamespacesAsync<JsonObject>(group, version, plural, limit: 1, cancellationToken: ct)),
        (rv, timeout, ct) => CustomVersions(_client.CustomObjects.WatchListCustomObjectForAllNamespacesAsync(group, version, plural, allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, cancellationToken: ct)));

    private static async IAsyncEnumerable<(WatchEventType, string?)> Versions<T>(IAsyncEnumerable<(WatchEventType, T)> events)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        await foreach (var (type, obj) in events)
        {
            yield return (type, obj?.Metadata?.ResourceVersion);
        }
    }

    private static async IAsyncEnumerable<(WatchEventType, string?)> CustomVersions(IAsyncEnumerable<(WatchEventType, object)> events)
    {
        await foreach (var (type, obj) in events)
        {
            yield return (type, ResourceVersionOf(obj));
        }
    }

    /// <summary>metadata.resourceVersion of a custom object as the client hands it over (JSON element or node).</summary>
    private static string? ResourceVersionOf(object? obj)
    {
        var node = obj switch
        {
            JsonNode n => n,
            JsonElement e => JsonNode.Parse(e.GetRawText()),
            null => null,
            _ => JsonSerializer.SerializeToNode(obj),
        };
        return node?["metadata"]?["resourceVersion"]?.GetValue<string>();
    }

    private async Task RunAsync(WatchedKind kind, CancellationToken stopping)
    {
        string? resourceVersion = null;
        var timeoutSeconds = Math.Max(1, (int)_fallback.TotalSeconds);
        var failurePause = TimeSpan.FromSeconds(1);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (resourceVersion is null)
                {
                    resourceVersion = await kind.List(stopping) ?? string.Empty;
                    Interlocked.Increment(ref _relists);
                    Signal.Raise();   // anything may have changed while nothing watched
                }
                else
                {
                    Interlocked.Increment(ref _resumes);
                }

                failurePause = TimeSpan.FromSeconds(1);

                // A stream that dies without closing (a half-open connection) ends here too.
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                deadline.CancelAfter(_fallback + TimeSpan.FromSeconds(5));
                await foreach (var (type, seen) in kind.Watch(resourceVersion, timeoutSeconds, deadline.Token).WithCancellation(deadline.Token))
                {
                    if (seen is { Length: > 0 })
                        resourceVersion = seen;
                    if (type != WatchEventType.Bookmark)
                        Signal.Raise();
                }
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Gone)
            {
                resourceVersion = null;   // 410 Expired: list again (reflector.go isExpiredError)
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound && resourceVersion is null)
            {
                // The list itself is 404: this cluster does not serve the kind (its CRD is not installed). Nothing of
                // it can change, and the gates that read it hold on their own evidence.
                _notServed[kind.Name] = 0;
                return;
            }
            catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
            {
                // The client-side deadline: resume from the last version seen.
            }
            catch (Exception e) when (e is HttpRequestException or IOException && !stopping.IsCancellationRequested)
            {
                // The stream broke or ended before its first event (KubernetesClient reports an empty watch body that
                // ends as "Error while copying content to a stream"): watch again from the last version seen, as the
                // reflector does; a version that has expired meanwhile comes back as 410 and re-lists.
                LastError = $"{kind.Name}: {e.GetType().Name}: {e.Message}";
                if (!await PauseAsync(TimeSpan.FromMilliseconds(100), stopping))
                    return;
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                LastError = $"{kind.Name}: {e.GetType().Name}: {e.Message}";
                // Could not watch (unreachable, forbidden): list again after a pause; the gates still poll on their backoff.
                resourceVersion = null;
                if (!await PauseAsync(failurePause, stopping))
                    return;
                failurePause = failurePause * 2 < _fallback ? failurePause * 2 : _fallback;
            }
        }
    }

    private async Task<bool> PauseAsync(TimeSpan pause, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(pause, _time, stopping);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        try
        {
            await Task.WhenAll(_loops);
        }
        catch (OperationCanceledException)
        {
            // stopping
        }

        _stopping.Dispose();
    }
}
