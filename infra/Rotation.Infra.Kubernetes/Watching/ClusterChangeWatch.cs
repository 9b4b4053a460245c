using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Rotation.Core.Ports;

namespace Rotation.Infra.Kubernetes.Watching;

/// <summary>
/// Watches the objects a cluster's gates read (ConfigMaps, Secrets and pods, in every namespace) and raises
/// <see cref="Signal"/> on every change, so a holding gate looks again at once. Each kind runs the reflector's loop
/// (kubernetes/kubernetes 2b02db1be88b09193d96585c4b6dd796d6b2e06c, staging/src/k8s.io/client-go/tools/cache/reflector.go
/// ListAndWatch): list to learn a resourceVersion, watch from it with bookmarks, resume from the last version seen when
/// the stream ends, and list again on 410 Expired ("too old resource version"). Every watch is bounded by
/// <see cref="KubernetesAdapterOptions.WatchFallback"/> (timeoutSeconds, and a client-side deadline for a stream that
/// dies silently), and each re-list raises the signal: a lost watch costs at most that long. Bundles and Certificates
/// (custom resources) are not watched: their gates re-check on the engine's backoff.
/// </summary>
public sealed class ClusterChangeWatch : IAsyncDisposable
{
    private readonly IKubernetes _client;
    private readonly TimeSpan _fallback;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];

    public ClusterChangeWatch(IKubernetes client, TimeSpan fallback, TimeProvider time)
    {
        _client = client;
        _fallback = fallback;
        _time = time;
    }

    public ChangeSignal Signal { get; } = new();

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
        var token = _stopping.Token;
        _loops.Add(RunAsync(
            async ct => (await _client.CoreV1.ListConfigMapForAllNamespacesAsync(limit: 1, cancellationToken: ct)).Metadata.ResourceVersion,
            (rv, timeout, ct) => _client.CoreV1.WatchListConfigMapForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, cancellationToken: ct),
            token));
        _loops.Add(RunAsync(
            async ct => (await _client.CoreV1.ListSecretForAllNamespacesAsync(limit: 1, cancellationToken: ct)).Metadata.ResourceVersion,
            (rv, timeout, ct) => _client.CoreV1.WatchListSecretForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, cancellationToken: ct),
            token));
        _loops.Add(RunAsync(
            async ct => (await _client.CoreV1.ListPodForAllNamespacesAsync(limit: 1, cancellationToken: ct)).Metadata.ResourceVersion,
            (rv, timeout, ct) => _client.CoreV1.WatchListPodForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, cancellationToken: ct),
            token));
    }

    private async Task RunAsync<T>(
        Func<CancellationToken, Task<string>> list,
        Func<string, int, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch,
        CancellationToken stopping)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        string? resourceVersion = null;
        var timeoutSeconds = Math.Max(1, (int)_fallback.TotalSeconds);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (resourceVersion is null)
                {
                    resourceVersion = await list(stopping);
                    Interlocked.Increment(ref _relists);
                    Signal.Raise();   // anything may have changed while nothing watched
                }
                else
                {
                    Interlocked.Increment(ref _resumes);
                }

                // A stream that dies without closing (a half-open connection) ends here too.
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                deadline.CancelAfter(_fallback + TimeSpan.FromSeconds(5));
                await foreach (var (type, obj) in watch(resourceVersion, timeoutSeconds, deadline.Token).WithCancellation(deadline.Token))
                {
                    if (obj?.Metadata?.ResourceVersion is { Length: > 0 } seen)
                        resourceVersion = seen;
                    if (type != WatchEventType.Bookmark)
                        Signal.Raise();
                }
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Gone)
            {
                resourceVersion = null;   // 410 Expired: list again (reflector.go isExpiredError)
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
                LastError = $"{e.GetType().Name}: {e.Message}";
                if (!await PauseAsync(TimeSpan.FromMilliseconds(100), stopping))
                    return;
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                LastError = $"{e.GetType().Name}: {e.Message}";
                // Could not watch (unreachable, forbidden): list again after a pause; the gates still poll on their backoff.
                resourceVersion = null;
                if (!await PauseAsync(TimeSpan.FromSeconds(1), stopping))
                    return;
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
