namespace Rotation.Infra.Kubernetes.Clusters;

/// <summary>One line of a cluster check: what was checked, whether it passed, and what was seen or what to do.</summary>
public sealed record ClusterCheckLine(string Check, bool Passed, string Detail);

/// <summary>The outcome of <see cref="ClusterCheck"/>: reachability, permissions and each target's preflight.</summary>
/// <summary>The lines of a check being built; each is passed on as it is added.</summary>
internal sealed class ClusterCheckLines(Action<ClusterCheckLine>? onLine)
{
    public List<ClusterCheckLine> All { get; } = [];

    public void Add(ClusterCheckLine line)
    {
        All.Add(line);
        onLine?.Invoke(line);
    }

    public void AddRange(IEnumerable<ClusterCheckLine> lines)
    {
        foreach (var line in lines)
            Add(line);
    }
}

public sealed record ClusterCheckReport(string Cluster, string? ServerVersion, IReadOnlyList<ClusterCheckLine> Lines)
{
    public bool Passed => Lines.All(l => l.Passed);
}
