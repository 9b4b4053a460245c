using System.Text.Json.Nodes;
using Rotation.Infra.Kubernetes.Simulator.Store;

namespace Rotation.Infra.Kubernetes.Tests.Support;

/// <summary>
/// Plays the Deployment controller: a Deployment whose generation moved (a restart) is rolled out after
/// <paramref name="delay"/>. It counts restarts in flight, so tests can see the throttle.
/// </summary>
public sealed class RolloutController : IDisposable
{
    private readonly KubeObjectStore _store;
    private readonly TimeSpan _delay;
    private readonly object _gate = new();
    private readonly HashSet<string> _inFlight = [];

    private readonly Action<string, string>? _onRolledOut;

    /// <param name="onRolledOut">Runs after a Deployment rolled out (namespace, name): e.g. replace its pods.</param>
    public RolloutController(KubeObjectStore store, TimeSpan delay, Action<string, string>? onRolledOut = null)
    {
        _store = store;
        _delay = delay;
        _onRolledOut = onRolledOut;
        _store.Changed += OnChanged;
    }

    public int MaxInFlight { get; private set; }
    public List<string> Restarted { get; } = [];

    private void OnChanged(object? sender, ObjectChangedEventArgs change)
    {
        if (change.Kind != ResourceKinds.Deployments || change.Type != ObjectChangeType.Modified)
            return;
        var deployment = _store.TryGet(ResourceKinds.Deployments, change.Namespace, change.Name);
        if (deployment is null)
            return;
        var generation = KubeObjects.Generation(deployment);
        var observed = long.TryParse(deployment["status"]?["observedGeneration"]?.ToJsonString(), out var seen) ? seen : 0;
        if (generation <= observed)
            return;
        var key = $"{change.Namespace}/{change.Name}";
        lock (_gate)
        {
            if (!_inFlight.Add(key))
                return;
            Restarted.Add(key);
            MaxInFlight = Math.Max(MaxInFlight, _inFlight.Count);
        }

        _ = Task.Run(async () =>
        {
            await Task.Delay(_delay);
            _onRolledOut?.Invoke(change.Namespace!, change.Name);
            lock (_gate)
                _inFlight.Remove(key);
            _store.Modify(ResourceKinds.Deployments, change.Namespace, change.Name, d =>
            {
                var replicas = int.TryParse(d["spec"]?["replicas"]?.ToJsonString(), out var wanted) ? wanted : 1;
                d["status"] = new JsonObject
                {
                    ["observedGeneration"] = KubeObjects.Generation(d),
                    ["replicas"] = replicas,
                    ["updatedReplicas"] = replicas,
                    ["availableReplicas"] = replicas,
                };
                return d;
            }, WriteScope.All);
        });
    }

    public void Dispose() => _store.Changed -= OnChanged;
}
