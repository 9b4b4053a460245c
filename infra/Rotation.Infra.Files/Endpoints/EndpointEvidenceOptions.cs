using Rotation.Core.Domain;

namespace Rotation.Infra.Files.Endpoints;

/// <summary>How the leaf gate uses what endpoints serve.</summary>
public enum LeafEvidenceMode
{
    /// <summary>The target's own leaf evidence (often the time rule) decides; served chains are added to what the target shows, so the engine refuses to drop a root a served leaf still chains to.</summary>
    Time,

    /// <summary>The served chains are the leaf evidence: the gate passes when every endpoint serves a leaf from the new intermediate. Say so only when the endpoints are every leaf under this target.</summary>
    Endpoints,
}

/// <summary>
/// The endpoint options any target kind accepts: <c>endpoints=HOST:PORT+https://HOST:PORT/PATH</c> and
/// <c>leafEvidence=time|endpoints</c>.
/// </summary>
public sealed record EndpointEvidenceOptions(IReadOnlyList<EndpointAddress> Endpoints, LeafEvidenceMode LeafEvidence)
{
    public const string EndpointsKey = "endpoints";
    public const string LeafEvidenceKey = "leafEvidence";

    public static IReadOnlyList<string> Keys { get; } = [EndpointsKey, LeafEvidenceKey];

    public static EndpointEvidenceOptions None { get; } = new([], LeafEvidenceMode.Time);

    public static EndpointEvidenceOptions From(IReadOnlyDictionary<string, string> options)
    {
        var endpoints = options.TryGetValue(EndpointsKey, out var text)
            ? text.Split('+', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(EndpointAddress.Parse).ToList()
            : [];
        var duplicate = endpoints.GroupBy(e => e.ToString(), StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new DomainException($"endpoint '{duplicate.Key}' is listed twice: list each endpoint once");
        var mode = (options.GetValueOrDefault(LeafEvidenceKey) ?? "time") switch
        {
            "time" => LeafEvidenceMode.Time,
            "endpoints" => LeafEvidenceMode.Endpoints,
            var other => throw new DomainException($"leafEvidence '{other}' is not one of time, endpoints"),
        };
        if (mode == LeafEvidenceMode.Endpoints && endpoints.Count == 0)
            throw new DomainException("leafEvidence=endpoints needs at least one endpoint: add --endpoint HOST:PORT (or endpoints=HOST:PORT)");
        return new EndpointEvidenceOptions(endpoints, mode);
    }
}
