using System.Collections.Concurrent;

namespace Rotation.Drill.Workloads;

/// <summary>
/// Which client identities a server accepts (a mesh's authorization policy): the SPIFFE ids of the estate's
/// workloads. Shared by every workload of an estate.
/// </summary>
public sealed class PeerAuthorization
{
    private readonly ConcurrentDictionary<string, bool> _allowed = new(StringComparer.Ordinal);

    public void Allow(string spiffeId) => _allowed[spiffeId] = true;

    public bool Allows(IReadOnlyList<string> uriNames) => uriNames.Any(_allowed.ContainsKey);
}
