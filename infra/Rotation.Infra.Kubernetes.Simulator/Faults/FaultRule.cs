using Rotation.Infra.Kubernetes.Simulator.Api;

namespace Rotation.Infra.Kubernetes.Simulator.Faults;

/// <summary>A registered fault: which requests it hits and how many more times.</summary>
public sealed class FaultRule
{
    private readonly object _gate;
    private readonly Func<ApiRequestInfo, bool> _matches;
    private int? _remaining;
    private int _hits;

    internal FaultRule(object gate, Func<ApiRequestInfo, bool> matches, Fault fault, int? times)
    {
        _gate = gate;
        _matches = matches;
        Fault = fault;
        _remaining = times;
    }

    public Fault Fault { get; }

    /// <summary>How many requests this rule has hit so far.</summary>
    public int Hits
    {
        get
        {
            lock (_gate)
            {
                return _hits;
            }
        }
    }

    /// <summary>Null while unlimited.</summary>
    public int? Remaining
    {
        get
        {
            lock (_gate)
            {
                return _remaining;
            }
        }
    }

    internal bool IsExhausted => _remaining is <= 0;

    /// <summary>Called under the injector's lock: consumes one use when the request matches.</summary>
    internal bool TryConsume(ApiRequestInfo request)
    {
        if (IsExhausted || !_matches(request))
        {
            return false;
        }

        _hits++;
        if (_remaining is not null)
        {
            _remaining--;
        }

        return true;
    }
}
