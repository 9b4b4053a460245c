using Rotation.Core.Ports;

namespace Rotation.Infra.Kubernetes.Targets;

/// <summary>
/// A target whose control plane copies CA material into objects it does not write itself (istiod's
/// istio-ca-root-cert ConfigMap in every namespace). `rotation scan --cluster` reports those copies too: a stale copy
/// expires on its own schedule. Reads only.
/// </summary>
public interface IPublishesCertificates
{
    Task<IReadOnlyList<HeldRoots>> ReadPublishedAsync(CancellationToken cancellationToken = default);
}
