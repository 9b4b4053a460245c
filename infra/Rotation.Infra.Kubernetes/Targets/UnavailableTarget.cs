using Rotation.Core.Pki;
using Rotation.Core.Ports;
using Rotation.Core.Rotations;

namespace Rotation.Infra.Kubernetes.Targets;

/// <summary>
/// Stands in for a target whose cluster could not even be connected to (kubeconfig gone, ARM unreachable): every
/// call throws <see cref="TargetUnavailableException"/>, so the phase holds on it by name instead of silently
/// leaving the cluster out of the rotation.
/// </summary>
internal sealed class UnavailableTarget : IRotationTarget
{
    private readonly string _reason;

    public UnavailableTarget(string name, string reason)
    {
        Name = name;
        _reason = reason;
    }

    public string Name { get; }

    public Task<PreflightReport> PreflightAsync(RotationKind kind, CancellationToken cancellationToken = default) => throw Unavailable();
    public Task ApplyTrustBundleAsync(TrustBundle bundle, RotationWriteContext context, CancellationToken cancellationToken = default) => throw Unavailable();
    public Task ApplyIssuerAsync(IssuerMaterial issuer, RotationWriteContext context, CancellationToken cancellationToken = default) => throw Unavailable();
    public Task<TrustReport> ReportTrustAsync(CancellationToken cancellationToken = default) => throw Unavailable();
    public Task<LeafReport> ReportLeavesAsync(CancellationToken cancellationToken = default) => throw Unavailable();
    public Task<TargetContent> ReadContentAsync(CancellationToken cancellationToken = default) => throw Unavailable();

    private TargetUnavailableException Unavailable() => new(Name, _reason);
}
