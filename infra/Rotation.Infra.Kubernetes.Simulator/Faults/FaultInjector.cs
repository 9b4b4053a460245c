using Rotation.Infra.Kubernetes.Simulator.Api;

namespace Rotation.Infra.Kubernetes.Simulator.Faults;

/// <summary>Thread-safe registry of faults; the first live rule that matches a request decides its fate.</summary>
public sealed class FaultInjector
{
    private readonly object _gate = new();
    private readonly List<FaultRule> _rules = [];

    /// <summary>Injects <paramref name="fault"/> into matching requests, <paramref name="times"/> times (null: until removed).</summary>
    public FaultRule Add(Func<ApiRequestInfo, bool> matches, Fault fault, int? times = null)
    {
        ArgumentNullException.ThrowIfNull(matches);
        ArgumentNullException.ThrowIfNull(fault);
        if (times is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(times), times, "a fault must apply at least once; omit times for an unlimited fault");
        }

        var rule = new FaultRule(_gate, matches, fault, times);
        lock (_gate)
        {
            _rules.Add(rule);
        }

        return rule;
    }

    /// <summary>Matches by API verb (get, list, create, update, patch, delete...) and resource plural; null matches any.</summary>
    public FaultRule Add(string? verb, string? resource, Fault fault, int? times = null) =>
        Add(r => (verb is null || r.Verb == verb) && (resource is null || r.Resource == resource), fault, times);

    public void Remove(FaultRule rule)
    {
        lock (_gate)
        {
            _rules.Remove(rule);
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _rules.Clear();
        }
    }

    internal Fault? Take(ApiRequestInfo request)
    {
        lock (_gate)
        {
            foreach (var rule in _rules)
            {
                if (rule.TryConsume(request))
                {
                    return rule.Fault;
                }
            }

            _rules.RemoveAll(r => r.IsExhausted);
            return null;
        }
    }
}
