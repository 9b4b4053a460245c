using Rotation.Core.Expiry;

namespace Rotation.Core.Metrics;

/// <summary>Label values shared by every exporter, so a dashboard or alert written against one works on all.</summary>
public static class MetricLabels
{
    /// <summary>The layer names of background article 002's threshold table: root, intermediate, issuing, workload.</summary>
    public static string ToLabel(this CertificateLayer layer) => layer switch
    {
        CertificateLayer.Root => "root",
        CertificateLayer.Intermediate => "intermediate",
        CertificateLayer.IssuingCa => "issuing",
        _ => "workload",
    };

    public static string ToLabel(this ExpiryState state) => state switch
    {
        ExpiryState.Ok => "ok",
        ExpiryState.Warning => "warning",
        ExpiryState.Critical => "critical",
        _ => "expired",
    };

    /// <summary>Every expiry state label, so an exporter can publish 0 for the states a CA is not in (state-set style).</summary>
    public static IReadOnlyList<ExpiryState> AllStates { get; } = Enum.GetValues<ExpiryState>();
}
