using System.Collections.Concurrent;

namespace Rotation.Infra.Kubernetes.Simulator.PortForward;

/// <summary>An HTTP request that reached a pod's port through a port-forward.</summary>
public sealed record PodHttpRequest(string Namespace, string Pod, int Port, string Method, string PathAndQuery);

/// <summary>What the pod's server answered.</summary>
public sealed record PodHttpAnswer(int StatusCode, string ContentType, string Body);

/// <summary>
/// What listens inside each simulated pod's network namespace: controllers register a handler (istiod's 15014, an
/// Envoy's admin 15000), and a test can make a pod's ports unreachable. A port nobody answers is "connection refused",
/// as the container runtime reports it when nothing listens on localhost:port inside the pod.
/// </summary>
public sealed class PodPorts
{
    private readonly ConcurrentBag<Func<PodHttpRequest, PodHttpAnswer?>> _handlers = [];
    private readonly ConcurrentDictionary<(string Namespace, string Pod), bool> _unreachable = new();

    /// <summary>Adds a server; it answers null for requests that are not its own.</summary>
    public void Register(Func<PodHttpRequest, PodHttpAnswer?> handler) => _handlers.Add(handler);

    /// <summary>Makes every port of a pod refuse connections (a proxy whose admin port is down), or reachable again.</summary>
    public void SetUnreachable(string @namespace, string pod, bool unreachable = true)
    {
        if (unreachable)
            _unreachable[(@namespace, pod)] = true;
        else
            _unreachable.TryRemove((@namespace, pod), out _);
    }

    public bool IsUnreachable(string @namespace, string pod) => _unreachable.ContainsKey((@namespace, pod));

    /// <summary>The answer of whoever listens on the port, or null when nothing does.</summary>
    public PodHttpAnswer? Serve(PodHttpRequest request)
    {
        if (IsUnreachable(request.Namespace, request.Pod))
            return null;
        foreach (var handler in _handlers)
        {
            if (handler(request) is { } answer)
                return answer;
        }

        return null;
    }
}
